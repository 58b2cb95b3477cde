# METADATA
# title: hostPort used
# description: hostPort binds the pod to a node port, bypassing network policy and limiting scheduling.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-021
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: Remove `hostPort`; expose the pod through a Service.
package mcpsec.checks.k8s_021

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q binds host port %v", [x.name, p.hostPort]), "path": sprintf("%s.ports[%d].hostPort", [x.path, i])} if {
	some x in k8s.containers
	some i, p in k8s.coll(x.c.ports)
	p.hostPort
	p.hostPort != 0
}
