# METADATA
# title: Secret stored in a ConfigMap
# description: 'ConfigMaps are not meant for secrets: they are readable by more roles, not encrypted at rest by default and printed by tooling.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-039
#   severity: high
#   input: kubernetes
#   selector: [ConfigMap]
#   remediation: Move the value into a Secret.
package mcpsec.checks.k8s_039

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("ConfigMap %q has secret-like key %s", [k8s.name, k]), "path": sprintf("data.%s", [k])} if {
	some k, v in k8s.coll(object.get(input, "data", {}))
	k8s.secret_name(k)
	is_string(v)
	count(v) >= 4
}
