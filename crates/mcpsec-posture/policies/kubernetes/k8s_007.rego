# METADATA
# title: Container runs as UID 0
# description: '`runAsUser: 0` explicitly runs the container as root.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-007
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Use a non-zero `runAsUser`.
package mcpsec.checks.k8s_007

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q runs as UID 0", [x.name]), "path": k8s.sc_path(x, "runAsUser")} if {
	some x in k8s.containers
	k8s.sc_value(x, "runAsUser") == 0
}
