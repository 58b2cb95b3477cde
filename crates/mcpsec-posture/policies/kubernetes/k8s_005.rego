# METADATA
# title: Host IPC namespace shared
# description: '`hostIPC: true` lets the pod see and reach the host''s IPC namespace, breaking isolation.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-005
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Remove `hostIPC: true` from the pod spec.'
package mcpsec.checks.k8s_005

import rego.v1

import data.lib.k8s

deny contains {"msg": "pod shares the host's IPC namespace (hostIPC: true)", "path": sprintf("%s.hostIPC", [k8s.pod_spec_path])} if {
	k8s.pod_spec.hostIPC == true
}
