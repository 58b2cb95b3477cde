# METADATA
# title: "Git TLS verification disabled"
# description: "`GIT_SSL_NO_VERIFY` makes the runner clone without checking the server certificate; a network attacker can serve other code."
# custom:
#   id: GL-007
#   severity: medium
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Remove `GIT_SSL_NO_VERIFY`; install the CA of your GitLab instance on the runner instead."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.gl_007

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": "GIT_SSL_NO_VERIFY disables TLS verification", "path": v.path} if {
	some v in gl.variables
	v.name == "GIT_SSL_NO_VERIFY"
	gl.truthy(v.value)
}
