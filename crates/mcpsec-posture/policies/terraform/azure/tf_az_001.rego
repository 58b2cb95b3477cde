# METADATA
# title: "Storage account accepts plain HTTP"
# description: "With secure transfer off, requests and SAS tokens travel unencrypted."
# custom:
#   id: TF-AZ-001
#   severity: high
#   input: terraform
#   selector: ["azurerm_storage_account"]
#   remediation: "Set `https_traffic_only_enabled = true` (the default)."
#   frameworks:
#     cis-azure: ["9.3.4"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.tf_az_001

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s accepts HTTP", [input.address]), "path": sprintf("config.%s", [f])} if {
	some f in ["https_traffic_only_enabled", "enable_https_traffic_only"]
	tf.is_false(object.get(tf.config, f, true))
}
