# METADATA
# title: "Key Vault purge protection disabled"
# description: "Without purge protection, a deleted vault or secret can be purged before the retention period ends; keys are lost for good."
# custom:
#   id: AZ-007
#   severity: medium
#   input: azure
#   selector: ["microsoft.keyvault/vaults"]
#   remediation: "Enable purge protection (it cannot be turned off again)."
#   frameworks:
#     cis-azure: ["8.3.5"]
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.az_007

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("key vault %s has no purge protection", [input.name]), "path": "properties.enablePurgeProtection"} if {
	not input.enablePurgeProtection == true
}
