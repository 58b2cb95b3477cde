# METADATA
# title: Capabilities added
# description: Added Linux capabilities widen what a compromised container can do; the restricted Pod Security Standard allows only NET_BIND_SERVICE.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-009
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Remove `capabilities.add` entries other than NET_BIND_SERVICE.
package mcpsec.checks.k8s_009

import rego.v1

import data.lib.k8s

caps(x) := object.get(k8s.container_sc(x), "capabilities", {})

norm(c) := trim_prefix(upper(c), "CAP_")

deny contains {"msg": sprintf("container %q adds capability %s", [x.name, c]), "path": sprintf("%s.securityContext.capabilities.add", [x.path])} if {
	some x in k8s.containers
	some c in k8s.coll(object.get(caps(x), "add", []))
	norm(c) != "NET_BIND_SERVICE"
}
