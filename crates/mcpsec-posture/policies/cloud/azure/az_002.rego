# METADATA
# title: "Storage account allows anonymous blob access"
# description: "Containers of the account can be made readable by anyone without credentials."
# custom:
#   id: AZ-002
#   severity: high
#   input: azure
#   selector: ["microsoft.storage/storageaccounts"]
#   remediation: "Set 'Allow Blob anonymous access' to disabled (`allowBlobPublicAccess: false`)."
#   frameworks:
#     cis-azure: ["9.3.8"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.az_002

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("storage account %s allows anonymous blob access", [input.name]), "path": "properties.allowBlobPublicAccess"} if {
	input.allowBlobPublicAccess == true
}
