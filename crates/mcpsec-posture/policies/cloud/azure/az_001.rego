# METADATA
# title: "Storage account accepts plain HTTP"
# description: "With secure transfer off, blob and file requests (and SAS tokens in them) travel unencrypted."
# custom:
#   id: AZ-001
#   severity: high
#   input: azure
#   selector: ["microsoft.storage/storageaccounts"]
#   remediation: "Enable 'Secure transfer required' (`supportsHttpsTrafficOnly` / `enableHttpsTrafficOnly`)."
#   frameworks:
#     cis-azure: ["9.3.4"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.az_001

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("storage account %s accepts HTTP", [input.name]), "path": "properties.supportsHttpsTrafficOnly"} if {
	some f in ["supportsHttpsTrafficOnly", "enableHttpsTrafficOnly"]
	input[f] == false
}
