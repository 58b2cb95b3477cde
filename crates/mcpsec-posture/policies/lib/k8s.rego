# Helpers for Kubernetes policies: the pod spec of any workload kind, its
# containers with their field paths, effective security context values.
package lib.k8s

import rego.v1

template_kinds := {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "DeploymentConfig"}

pod_spec_path := "spec" if input.kind == "Pod"

pod_spec_path := "spec.template.spec" if input.kind in template_kinds

pod_spec_path := "spec.jobTemplate.spec.template.spec" if input.kind == "CronJob"

pod_spec_path := "template.spec" if input.kind == "PodTemplate"

pod_spec := input.spec if input.kind == "Pod"

pod_spec := input.spec.template.spec if input.kind in template_kinds

pod_spec := input.spec.jobTemplate.spec.template.spec if input.kind == "CronJob"

pod_spec := input.template.spec if input.kind == "PodTemplate"

pod_meta := object.get(input, "metadata", {}) if input.kind == "Pod"

pod_meta := object.get(input.spec.template, "metadata", {}) if input.kind in template_kinds

pod_meta := object.get(input.spec.jobTemplate.spec.template, "metadata", {}) if input.kind == "CronJob"

pod_meta := object.get(input.template, "metadata", {}) if input.kind == "PodTemplate"

# Every container (regular, init, ephemeral) as {c, path, name, field}.
containers contains {"c": c, "path": sprintf("%s.%s[%d]", [pod_spec_path, f, i]), "name": object.get(c, "name", ""), "field": f} if {
	some f in ["containers", "initContainers", "ephemeralContainers"]
	is_array(pod_spec[f])
	some i, c in pod_spec[f]
	is_object(c)
}

# Regular containers only (probes, resources).
app_containers contains x if {
	some x in containers
	x.field == "containers"
}

name := object.get(object.get(input, "metadata", {}), "name", "")

pod_sc := sc if {
	sc := object.get(pod_spec, "securityContext", {})
	is_object(sc)
} else := {}

container_sc(x) := sc if {
	sc := object.get(x.c, "securityContext", {})
	is_object(sc)
} else := {}

# The effective value of a security context field: the container's, else the pod's.
sc_value(x, field) := container_sc(x)[field]

sc_value(x, field) := pod_sc[field] if {
	not has_key(container_sc(x), field)
}

has_key(obj, k) if {
	_ = obj[k]
}

# The field path of a security context field, where it is (or should be) set.
sc_path(x, field) := sprintf("%s.securityContext.%s", [x.path, field]) if has_key(container_sc(x), field)
else := sprintf("%s.securityContext.%s", [pod_spec_path, field]) if has_key(pod_sc, field)
else := x.path

volumes contains {"v": v, "path": sprintf("%s.volumes[%d]", [pod_spec_path, i])} if {
	is_array(pod_spec.volumes)
	some i, v in pod_spec.volumes
	is_object(v)
}

# Image reference parts: repository, tag ("" when none), digest ("" when none).
image_digest(image) := split(image, "@")[1] if contains(image, "@")
else := ""

image_tag(image) := tag if {
	ref := split(image, "@")[0]
	parts := split(ref, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
} else := ""

secret_name_pattern := `(?i)(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential|auth)`

# Whether a name looks like it holds a secret (the same words as
# secret_name_pattern, with string functions: regorus compiles a regex on
# every evaluation, which costs more than the rest of a check).
secret_name_parts := ["password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "privatekey", "private_key", "private-key", "accesskey", "access_key", "access-key", "credential", "auth"]

secret_name(n) if {
	is_string(n)
	l := lower(n)
	some p in secret_name_parts
	contains(l, p)
}

# A seccomp annotation value that selects a profile.
good_seccomp_annotation(a) if a in {"runtime/default", "docker/default"}

good_seccomp_annotation(a) if {
	startswith(a, "localhost/")
	count(a) > 10
}

# x when it is a collection (array, object, set), else empty: iterating a
# null field must not be an error.
coll(x) := x if is_array(x)
else := x if is_object(x)
else := x if is_set(x)
else := []
