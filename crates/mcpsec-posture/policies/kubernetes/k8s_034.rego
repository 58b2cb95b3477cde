# METADATA
# title: Unmasked /proc
# description: '`procMount: Unmasked` exposes host kernel information masked by default.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-034
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Remove `procMount: Unmasked`.'
package mcpsec.checks.k8s_034

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q sets procMount Unmasked", [x.name]), "path": sprintf("%s.securityContext.procMount", [x.path])} if {
	some x in k8s.containers
	k8s.container_sc(x).procMount == "Unmasked"
}
