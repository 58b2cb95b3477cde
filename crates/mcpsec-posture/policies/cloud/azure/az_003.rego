# METADATA
# title: "Storage account allows TLS below 1.2"
# description: "TLS 1.0 and 1.1 have known weaknesses and are deprecated."
# custom:
#   id: AZ-003
#   severity: medium
#   input: azure
#   selector: ["microsoft.storage/storageaccounts"]
#   remediation: "Set the minimum TLS version to TLS1_2."
#   frameworks:
#     cis-azure: ["9.3.6"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.az_003

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("storage account %s accepts %s", [input.name, input.minimumTlsVersion]), "path": "properties.minimumTlsVersion"} if {
	input.minimumTlsVersion in {"TLS1_0", "TLS1_1"}
}
