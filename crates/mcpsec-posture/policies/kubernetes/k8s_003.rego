# METADATA
# title: Host network namespace shared
# description: '`hostNetwork: true` lets the pod see and reach the host''s Network namespace, breaking isolation.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-003
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Remove `hostNetwork: true` from the pod spec.'
package mcpsec.checks.k8s_003

import rego.v1

import data.lib.k8s

deny contains {"msg": "pod shares the host's Network namespace (hostNetwork: true)", "path": sprintf("%s.hostNetwork", [k8s.pod_spec_path])} if {
	k8s.pod_spec.hostNetwork == true
}
