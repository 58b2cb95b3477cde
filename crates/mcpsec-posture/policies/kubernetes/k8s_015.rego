# METADATA
# title: Memory limits not set
# description: Without `resources.limits.memory` the scheduler and the kubelet cannot cap the container; one pod can starve its neighbours.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-015
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Set `resources.limits.memory` on every container.
package mcpsec.checks.k8s_015

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has no memory limit", [x.name]), "path": sprintf("%s.resources", [x.path])} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not x.c.resources.limits.memory
}
