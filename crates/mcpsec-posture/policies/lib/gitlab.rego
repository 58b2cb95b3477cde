# Helpers for GitLab CI policies: jobs, script lines, variables and images
# with their field paths.
package lib.gitlab

import rego.v1

reserved := {"default", "include", "stages", "variables", "workflow", "image", "services", "before_script", "after_script", "cache", "spec"}

coll(x) := x if is_array(x)
else := x if is_object(x)
else := []

jobs contains {"name": k, "job": j} if {
	some k, j in input
	not k in reserved
	is_object(j)
}

join_path(a, b) := b if a == ""
else := sprintf("%s.%s", [a, b])

# Objects that may carry scripts and an image: the file (top-level
# before_script/after_script/image), `default` and every job.
holders contains {"path": "", "obj": input}

holders contains {"path": "default", "obj": input.default} if is_object(input.default)

holders contains {"path": x.name, "obj": x.job} if some x in jobs

script_fields := ["script", "before_script", "after_script"]

# Every script line as {text, path}.
script_lines contains {"text": v, "path": join_path(h.path, f)} if {
	some h in holders
	some f in script_fields
	v := h.obj[f]
	is_string(v)
}

script_lines contains {"text": s, "path": sprintf("%s[%d]", [join_path(h.path, f), i])} if {
	some h in holders
	some f in script_fields
	some i, s in coll(h.obj[f])
	is_string(s)
}

script_lines contains {"text": s, "path": sprintf("%s[%d][%d]", [join_path(h.path, f), i, j])} if {
	some h in holders
	some f in script_fields
	some i, a in coll(h.obj[f])
	is_array(a)
	some j, s in a
	is_string(s)
}

var_value(v) := v.value if is_object(v)
else := v

# Every variable (file level and per job) as {name, value, path}.
variables contains {"name": k, "value": var_value(v), "path": sprintf("variables.%s", [k])} if {
	some k, v in coll(object.get(input, "variables", {}))
}

variables contains {"name": k, "value": var_value(v), "path": sprintf("%s.variables.%s", [x.name, k])} if {
	some x in jobs
	some k, v in coll(object.get(x.job, "variables", {}))
}

image_name(im) := im if is_string(im)
else := im.name if is_object(im)

# Every image (file level, default, jobs) as {image, path}.
images contains {"image": image_name(h.obj.image), "path": join_path(h.path, "image")} if {
	some h in holders
	h.obj.image
}

# Image tag ("" when none), as for Kubernetes.
image_tag(image) := tag if {
	ref := split(image, "@")[0]
	parts := split(ref, "/")
	last := parts[count(parts) - 1]
	contains(last, ":")
	tag := split(last, ":")[1]
} else := ""

truthy(v) if v == true

truthy(v) if lower(sprintf("%v", [v])) in {"true", "1", "yes"}

secret_name_parts := ["password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "privatekey", "private_key", "private-key", "accesskey", "access_key", "access-key", "credential"]

secret_name(n) if {
	l := lower(n)
	some p in secret_name_parts
	contains(l, p)
}
