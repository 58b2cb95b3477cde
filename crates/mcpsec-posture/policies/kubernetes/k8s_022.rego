# METADATA
# title: Hard-coded secret in environment
# description: 'An environment variable named like a secret carries a literal value: the secret is in the manifest and in version control.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-022
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Reference a Secret (`valueFrom.secretKeyRef`) or mount it as a file instead of a literal `value`.
package mcpsec.checks.k8s_022

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q sets %s to a literal value", [x.name, e.name]), "path": sprintf("%s.env[%d].value", [x.path, i])} if {
	some x in k8s.containers
	some i, e in k8s.coll(x.c.env)
	k8s.secret_name(e.name)
	is_string(e.value)
	count(e.value) >= 4
	not startswith(e.value, "$(")
}
