# METADATA
# title: Host PID namespace shared
# description: '`hostPID: true` lets the pod see and reach the host''s PID namespace, breaking isolation.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-004
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Remove `hostPID: true` from the pod spec.'
package mcpsec.checks.k8s_004

import rego.v1

import data.lib.k8s

deny contains {"msg": "pod shares the host's PID namespace (hostPID: true)", "path": sprintf("%s.hostPID", [k8s.pod_spec_path])} if {
	k8s.pod_spec.hostPID == true
}
