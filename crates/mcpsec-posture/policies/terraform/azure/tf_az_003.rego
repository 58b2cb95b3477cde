# METADATA
# title: "Storage account allows anonymous blob access"
# description: "Containers can be made readable by anyone."
# custom:
#   id: TF-AZ-003
#   severity: high
#   input: terraform
#   selector: ["azurerm_storage_account"]
#   remediation: "Set `allow_nested_items_to_be_public = false`."
#   frameworks:
#     cis-azure: ["9.3.8"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_az_003

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s allows anonymous blob access", [input.address]), "path": sprintf("config.%s", [f])} if {
	some f in ["allow_nested_items_to_be_public", "allow_blob_public_access"]
	tf.is_true(object.get(tf.config, f, false))
}
