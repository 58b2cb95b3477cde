# METADATA
# title: CAP_SYS_ADMIN added
# description: 'SYS_ADMIN is close to root on the host: mounts, namespaces, many kernel interfaces.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-010
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Remove SYS_ADMIN from `capabilities.add`.
package mcpsec.checks.k8s_010

import rego.v1

import data.lib.k8s

caps(x) := object.get(k8s.container_sc(x), "capabilities", {})

norm(c) := trim_prefix(upper(c), "CAP_")

deny contains {"msg": sprintf("container %q adds SYS_ADMIN", [x.name]), "path": sprintf("%s.securityContext.capabilities.add", [x.path])} if {
	some x in k8s.containers
	some c in k8s.coll(object.get(caps(x), "add", []))
	norm(c) in {"SYS_ADMIN", "ALL"}
}
