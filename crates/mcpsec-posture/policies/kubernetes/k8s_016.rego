# METADATA
# title: Memory requests not set
# description: Without `resources.requests.memory` the scheduler and the kubelet cannot reserve capacity; one pod can starve its neighbours.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-016
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: Set `resources.requests.memory` on every container.
package mcpsec.checks.k8s_016

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has no memory request", [x.name]), "path": sprintf("%s.resources", [x.path])} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not x.c.resources.requests.memory
}
