# METADATA
# title: "TLS verification disabled through the environment"
# description: "`NODE_TLS_REJECT_UNAUTHORIZED=0`, `GIT_SSL_NO_VERIFY`, `PYTHONHTTPSVERIFY=0` in ENV or ARG turn certificate checks off for every later step and, for ENV, in the running container."
# custom:
#   id: DKR-019
#   severity: medium
#   input: dockerfile
#   selector: []
#   remediation: "Remove the variable; trust the right CA bundle instead."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.dkr_019

import rego.v1

bad_env := {"node_tls_reject_unauthorized=0", "git_ssl_no_verify=1", "git_ssl_no_verify=true", "pythonhttpsverify=0"}

deny contains {"msg": sprintf("%s turns TLS verification off", [i.cmd]), "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd in {"ENV", "ARG"}
	v := replace(replace(replace(lower(i.value), " ", "="), "\"", ""), "'", "")
	some b in bad_env
	contains(v, b)
}
