# METADATA
# title: RBAC role can bind roles
# description: The `bind` verb on roles lets the subject grant itself permissions it does not have.
# related_resources: ['https://kubernetes.io/docs/concepts/security/rbac-good-practices/']
# custom:
#   id: K8S-037
#   severity: high
#   input: kubernetes
#   selector: [Role, ClusterRole]
#   remediation: Remove `bind` on roles/clusterrolesbindings.
package mcpsec.checks.k8s_037

import rego.v1

import data.lib.k8s

targets := {"roles", "clusterroles", "*"}

groups_ok(r) if "rbac.authorization.k8s.io" in object.get(r, "apiGroups", [])

groups_ok(r) if "*" in object.get(r, "apiGroups", [])

deny contains {"msg": sprintf("%s %q can bind roles", [input.kind, k8s.name]), "path": sprintf("rules[%d]", [i])} if {
	some i, r in k8s.coll(input.rules)
	groups_ok(r)
	some v in k8s.coll(object.get(r, "verbs", []))
	v in {"bind", "*"}
	some res in k8s.coll(object.get(r, "resources", []))
	res in targets
}
