# METADATA
# title: "SQL server public network access enabled"
# description: "The public endpoint is reachable (the provider's default); firewall rules are the only barrier."
# custom:
#   id: TF-AZ-006
#   severity: medium
#   input: terraform
#   selector: ["azurerm_mssql_server"]
#   remediation: "Set `public_network_access_enabled = false` and use private endpoints."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_az_006

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s allows public network access", [input.address]), "path": "config.public_network_access_enabled"} if {
	not tf.is_false(object.get(tf.config, "public_network_access_enabled", true))
}
