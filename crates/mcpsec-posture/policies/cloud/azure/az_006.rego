# METADATA
# title: "SQL server allows TLS below 1.2"
# description: "Clients may connect with deprecated TLS versions."
# custom:
#   id: AZ-006
#   severity: medium
#   input: azure
#   selector: ["microsoft.sql/servers"]
#   remediation: "Set the minimal TLS version to 1.2."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.az_006

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("SQL server %s accepts TLS %s", [input.name, input.minimalTlsVersion]), "path": "properties.minimalTlsVersion"} if {
	input.minimalTlsVersion in {"1.0", "1.1", "None"}
}
