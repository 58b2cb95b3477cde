# METADATA
# title: "Key Vault uses access policies instead of RBAC"
# description: "Vault access policies are coarse (all secrets of a vault) and managed outside Azure RBAC and PIM."
# custom:
#   id: AZ-008
#   severity: low
#   input: azure
#   selector: ["microsoft.keyvault/vaults"]
#   remediation: "Enable Azure RBAC authorization on the vault and migrate the access policies."
#   frameworks:
#     cis-azure: ["8.3.6"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.az_008

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("key vault %s does not use RBAC authorization", [input.name]), "path": "properties.enableRbacAuthorization"} if {
	not input.enableRbacAuthorization == true
}
