# METADATA
# title: CPU requests not set
# description: Without `resources.requests.cpu` the scheduler and the kubelet cannot reserve capacity; one pod can starve its neighbours.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-014
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: Set `resources.requests.cpu` on every container.
package mcpsec.checks.k8s_014

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has no cpu request", [x.name]), "path": sprintf("%s.resources", [x.path])} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not x.c.resources.requests.cpu
}
