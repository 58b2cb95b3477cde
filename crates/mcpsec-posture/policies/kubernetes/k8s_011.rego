# METADATA
# title: Capabilities not dropped
# description: Containers start with a default set of capabilities; the restricted Pod Security Standard requires dropping ALL.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-011
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `securityContext.capabilities.drop: [ALL]` and add back only what is needed.'
package mcpsec.checks.k8s_011

import rego.v1

import data.lib.k8s

caps(x) := object.get(k8s.container_sc(x), "capabilities", {})

norm(c) := trim_prefix(upper(c), "CAP_")

drops_all(x) if {
	some c in k8s.coll(object.get(caps(x), "drop", []))
	norm(c) == "ALL"
}

deny contains {"msg": sprintf("container %q does not drop ALL capabilities", [x.name]), "path": sprintf("%s.securityContext", [x.path])} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not drops_all(x)
}
