# METADATA
# title: "Role bound to anonymous users"
# description: "Binding a role to `system:anonymous` or `system:unauthenticated` grants it to every request without credentials."
# custom:
#   id: K8S-044
#   severity: high
#   input: kubernetes
#   selector: ["RoleBinding", "ClusterRoleBinding"]
#   remediation: "Remove the anonymous subjects from the binding."
#   frameworks:
#     cis-kubernetes: ["5.1.1"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.k8s_044

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("%s %q grants %s to %s", [input.kind, k8s.name, object.get(input.roleRef, "name", ""), s.name]), "path": sprintf("subjects[%d]", [i])} if {
	some i, s in k8s.coll(input.subjects)
	s.name in {"system:anonymous", "system:unauthenticated"}
}
