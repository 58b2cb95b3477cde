# METADATA
# title: Wildcard in RBAC role
# description: '`*` in verbs or resources grants every current and future permission of the API group.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/rbac-good-practices/']
# custom:
#   id: K8S-031
#   severity: high
#   input: kubernetes
#   selector: [Role, ClusterRole]
#   remediation: List the verbs and resources the role needs.
package mcpsec.checks.k8s_031

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("%s %q grants %v on %v", [input.kind, k8s.name, r.verbs, r.resources]), "path": sprintf("rules[%d]", [i])} if {
	some i, r in k8s.coll(input.rules)
	some field in ["verbs", "resources", "apiGroups"]
	"*" in k8s.coll(object.get(r, field, []))
}
