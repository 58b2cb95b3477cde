# METADATA
# title: LoadBalancer open to the internet
# description: A LoadBalancer service without `loadBalancerSourceRanges` is reachable from any address.
# related_resources: ['https://kubernetes.io/docs/tasks/access-application-cluster/create-external-load-balancer/']
# custom:
#   id: K8S-030
#   severity: medium
#   input: kubernetes
#   selector: [Service]
#   remediation: Set `spec.loadBalancerSourceRanges` (or make the load balancer internal).
package mcpsec.checks.k8s_030

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("service %q is a LoadBalancer without loadBalancerSourceRanges", [k8s.name]), "path": "spec.type"} if {
	input.spec.type == "LoadBalancer"
	count(object.get(input.spec, "loadBalancerSourceRanges", [])) == 0
	not internal
}

internal if {
	some k, v in k8s.coll(object.get(input.metadata, "annotations", {}))
	contains(k, "internal")
	v in {"true", "Internal", "internal", "0.0.0.0/0"}
}
