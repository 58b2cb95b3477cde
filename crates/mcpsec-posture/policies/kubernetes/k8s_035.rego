# METADATA
# title: RBAC role reads Secrets
# description: get/list/watch on Secrets discloses every credential in scope (service account tokens, TLS keys).
# related_resources: ['https://kubernetes.io/docs/concepts/security/rbac-good-practices/']
# custom:
#   id: K8S-035
#   severity: medium
#   input: kubernetes
#   selector: [Role, ClusterRole]
#   remediation: Restrict Secret access to named resources (`resourceNames`) or remove it.
package mcpsec.checks.k8s_035

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("%s %q can read Secrets", [input.kind, k8s.name]), "path": sprintf("rules[%d]", [i])} if {
	some i, r in k8s.coll(input.rules)
	some res in k8s.coll(object.get(r, "resources", []))
	res in {"secrets", "*"}
	some v in k8s.coll(object.get(r, "verbs", []))
	v in {"get", "list", "watch", "*"}
	count(object.get(r, "resourceNames", [])) == 0
}
