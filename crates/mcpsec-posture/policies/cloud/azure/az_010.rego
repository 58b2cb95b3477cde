# METADATA
# title: "App Service accepts plain HTTP"
# description: "Without HTTPS Only, the app answers over HTTP and cookies or tokens can travel unencrypted."
# custom:
#   id: AZ-010
#   severity: medium
#   input: azure
#   selector: ["microsoft.web/sites"]
#   remediation: "Enable HTTPS Only (`httpsOnly: true`)."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.az_010

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("app %s accepts HTTP", [input.name]), "path": "properties.httpsOnly"} if {
	not input.httpsOnly == true
}
