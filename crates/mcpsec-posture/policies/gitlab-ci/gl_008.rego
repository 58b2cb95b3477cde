# METADATA
# title: "TLS verification disabled in a script"
# description: "`curl -k`, `--insecure` and `wget --no-check-certificate` accept any certificate; downloads can be replaced in transit."
# custom:
#   id: GL-008
#   severity: low
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Drop the flag and trust the right CA bundle."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.gl_008

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": "script disables TLS certificate checks", "path": l.path} if {
	some l in gl.script_lines
	regex.match(`(curl\s(.*\s)?(-k|--insecure)(\s|$))|(wget\s.*--no-check-certificate)`, l.text)
}
