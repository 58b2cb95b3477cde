# METADATA
# title: Privileged container
# description: A privileged container has every capability of the host and can take it over.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-001
#   severity: critical
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Remove `securityContext.privileged: true`.'
package mcpsec.checks.k8s_001

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q runs privileged", [x.name]), "path": sprintf("%s.securityContext.privileged", [x.path])} if {
	some x in k8s.containers
	k8s.container_sc(x).privileged == true
}
