# METADATA
# title: NodePort service
# description: NodePort opens the port on every node, bypassing the load balancer and often the firewall rules meant for it.
# related_resources: ['https://kubernetes.io/docs/concepts/services-networking/service/#type-nodeport']
# custom:
#   id: K8S-029
#   severity: low
#   input: kubernetes
#   selector: [Service]
#   remediation: Use a ClusterIP service behind an Ingress or a LoadBalancer with source ranges.
package mcpsec.checks.k8s_029

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("service %q is of type NodePort", [k8s.name]), "path": "spec.type"} if {
	input.spec.type == "NodePort"
}
