# METADATA
# title: AppArmor unconfined or unknown profile
# description: An `unconfined` (or unknown) AppArmor profile removes the default mandatory access control of the container; Pod Security Standards allow only `runtime/default` and `localhost/*`.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-040
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Use the runtime default AppArmor profile.
package mcpsec.checks.k8s_040

import rego.v1

import data.lib.k8s

# Pod Security Standards (baseline) allow only the runtime default and
# profiles loaded on the node; `unconfined` and anything else are refused.
allowed_annotation(v) if v == "runtime/default"

allowed_annotation(v) if startswith(v, "localhost/")

deny contains {"msg": sprintf("AppArmor profile %q is unconfined or not allowed (%s)", [v, k]), "path": "metadata.annotations"} if {
	some k, v in k8s.coll(object.get(k8s.pod_meta, "annotations", {}))
	startswith(k, "container.apparmor.security.beta.kubernetes.io/")
	not allowed_annotation(v)
}

deny contains {"msg": sprintf("container %q has AppArmor profile Unconfined", [x.name]), "path": sprintf("%s.securityContext.appArmorProfile", [x.path])} if {
	some x in k8s.containers
	t := object.get(k8s.sc_value(x, "appArmorProfile"), "type", "")
	not t in {"RuntimeDefault", "Localhost"}
}
