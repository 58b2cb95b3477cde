# METADATA
# title: "App Service allows TLS below 1.2"
# description: "Clients may connect with deprecated TLS versions."
# custom:
#   id: AZ-011
#   severity: medium
#   input: azure
#   selector: ["microsoft.web/sites"]
#   remediation: "Set `siteConfig.minTlsVersion` to 1.2."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.az_011

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("app %s accepts TLS %s", [input.name, v]), "path": "properties.siteConfig.minTlsVersion"} if {
	v := object.get(object.get(input, "siteConfig", {}), "minTlsVersion", "")
	v in {"1.0", "1.1"}
}
