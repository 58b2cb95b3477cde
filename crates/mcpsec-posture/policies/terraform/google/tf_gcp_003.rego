# METADATA
# title: "Cloud SQL open to the whole internet"
# description: "An authorized network of 0.0.0.0/0 lets any address connect."
# custom:
#   id: TF-GCP-003
#   severity: critical
#   input: terraform
#   selector: ["google_sql_database_instance"]
#   remediation: "Remove the 0.0.0.0/0 authorized network; use private IP."
#   frameworks:
#     cis-gcp: ["6.5"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_gcp_003

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s authorizes %s", [input.address, n.value]), "path": "config.settings"} if {
	some s in tf.blocks(tf.config, "settings")
	some ipc in tf.blocks(s, "ip_configuration")
	some n in tf.blocks(ipc, "authorized_networks")
	n.value in {"0.0.0.0/0", "::/0"}
}
