# METADATA
# title: "Secret in pipeline variables"
# description: "A password, token or key written into `.gitlab-ci.yml` is readable by everyone with access to the repository and stays in its history."
# custom:
#   id: GL-002
#   severity: high
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Store secrets as masked, protected CI/CD variables in the project or group settings, or in a secret manager."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.5.17"]
#     nist-800-53-r5: ["IA-5"]
#     pci-dss-4.0: ["8.3.2"]
#     soc2: ["CC6.1"]
package mcpsec.checks.gl_002

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": sprintf("variable %s holds a literal secret", [v.name]), "path": v.path} if {
	some v in gl.variables
	gl.secret_name(v.name)
	is_string(v.value)
	count(v.value) >= 4
	not startswith(v.value, "$")
}
