# METADATA
# title: Windows HostProcess container
# description: HostProcess containers run directly on the Windows host with host privileges.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-042
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Do not use `windowsOptions.hostProcess: true`.'
package mcpsec.checks.k8s_042

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q is a Windows HostProcess container", [x.name]), "path": k8s.sc_path(x, "windowsOptions")} if {
	some x in k8s.containers
	k8s.sc_value(x, "windowsOptions").hostProcess == true
}
