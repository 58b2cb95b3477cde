# METADATA
# title: NET_RAW not dropped
# description: NET_RAW allows crafting raw packets (ARP/DNS spoofing inside the cluster network).
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-012
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Drop NET_RAW (or ALL) in `securityContext.capabilities.drop`.
package mcpsec.checks.k8s_012

import rego.v1

import data.lib.k8s

caps(x) := object.get(k8s.container_sc(x), "capabilities", {})

norm(c) := trim_prefix(upper(c), "CAP_")

drops_net_raw(x) if {
	some c in k8s.coll(object.get(caps(x), "drop", []))
	norm(c) in {"ALL", "NET_RAW"}
}

deny contains {"msg": sprintf("container %q does not drop NET_RAW", [x.name]), "path": sprintf("%s.securityContext", [x.path])} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not drops_net_raw(x)
}
