# METADATA
# title: Binding to cluster-admin
# description: Binding `cluster-admin` gives the subjects full control of the cluster.
# related_resources: ['https://kubernetes.io/docs/concepts/security/rbac-good-practices/']
# custom:
#   id: K8S-032
#   severity: high
#   input: kubernetes
#   selector: [RoleBinding, ClusterRoleBinding]
#   remediation: Bind a role with only the permissions the subjects need.
package mcpsec.checks.k8s_032

import rego.v1

import data.lib.k8s

system_subject(s) if startswith(object.get(s, "name", ""), "system:")

deny contains {"msg": sprintf("%s %q binds cluster-admin to %s %q", [input.kind, k8s.name, s.kind, s.name]), "path": "roleRef"} if {
	input.roleRef.name == "cluster-admin"
	some s in k8s.coll(input.subjects)
	not system_subject(s)
}
