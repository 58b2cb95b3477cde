# METADATA
# title: Service account token mounted
# description: The API token is mounted into every container unless disabled; a compromised container can then call the Kubernetes API.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-027
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `automountServiceAccountToken: false` on pods that do not call the API.'
package mcpsec.checks.k8s_027

import rego.v1

import data.lib.k8s

deny contains {"msg": "service account token is automatically mounted (automountServiceAccountToken is not false)", "path": k8s.pod_spec_path} if {
	not k8s.pod_spec.automountServiceAccountToken == false
}
