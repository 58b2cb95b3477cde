# METADATA
# title: "Key Vault purge protection disabled"
# description: "Deleted keys and secrets can be purged before retention ends."
# custom:
#   id: TF-AZ-005
#   severity: medium
#   input: terraform
#   selector: ["azurerm_key_vault"]
#   remediation: "Set `purge_protection_enabled = true`."
#   frameworks:
#     cis-azure: ["8.3.5"]
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.tf_az_005

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s has no purge protection", [input.address]), "path": "config.purge_protection_enabled"} if {
	not tf.is_true(object.get(tf.config, "purge_protection_enabled", false))
}
