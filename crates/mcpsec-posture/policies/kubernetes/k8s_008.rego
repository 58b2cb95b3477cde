# METADATA
# title: Writable root filesystem
# description: A writable root filesystem lets an attacker drop tools and persist changes inside the container.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-008
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `securityContext.readOnlyRootFilesystem: true` and mount writable volumes where needed.'
package mcpsec.checks.k8s_008

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has a writable root filesystem", [x.name]), "path": k8s.sc_path(x, "readOnlyRootFilesystem")} if {
	some x in k8s.containers
	x.field != "ephemeralContainers"
	not k8s.container_sc(x).readOnlyRootFilesystem == true
}
