# METADATA
# title: "Storage account network access defaults to Allow"
# description: "The storage firewall lets every network in unless a rule denies it."
# custom:
#   id: AZ-004
#   severity: medium
#   input: azure
#   selector: ["microsoft.storage/storageaccounts"]
#   remediation: "Set the default network action to Deny and allow selected networks or private endpoints."
#   frameworks:
#     cis-azure: ["9.3.2.3"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.az_004

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("storage account %s allows all networks by default", [input.name]), "path": "properties"} if {
	some f in ["networkAcls", "networkRuleSet"]
	input[f].defaultAction == "Allow"
}
