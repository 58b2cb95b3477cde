# METADATA
# title: Privilege escalation allowed
# description: 'Without `allowPrivilegeEscalation: false` a process can gain more privileges than its parent (setuid binaries).'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-002
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `securityContext.allowPrivilegeEscalation: false` on every container.'
package mcpsec.checks.k8s_002

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q does not set allowPrivilegeEscalation: false", [x.name]), "path": k8s.sc_path(x, "allowPrivilegeEscalation")} if {
	some x in k8s.containers
	not k8s.container_sc(x).allowPrivilegeEscalation == false
}
