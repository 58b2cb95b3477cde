# METADATA
# title: "Storage account allows TLS below 1.2"
# description: "TLS 1.0 and 1.1 are deprecated."
# custom:
#   id: TF-AZ-002
#   severity: medium
#   input: terraform
#   selector: ["azurerm_storage_account"]
#   remediation: "Set `min_tls_version = \"TLS1_2\"`."
#   frameworks:
#     cis-azure: ["9.3.6"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.tf_az_002

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s accepts %s", [input.address, tf.config.min_tls_version]), "path": "config.min_tls_version"} if {
	tf.config.min_tls_version in {"TLS1_0", "TLS1_1"}
}
