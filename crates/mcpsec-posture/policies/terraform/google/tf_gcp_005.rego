# METADATA
# title: "VM instance has a public IP"
# description: "An `access_config` block gives the instance an external address."
# custom:
#   id: TF-GCP-005
#   severity: medium
#   input: terraform
#   selector: ["google_compute_instance"]
#   remediation: "Remove `access_config`; use Cloud NAT and IAP."
#   frameworks:
#     cis-gcp: ["4.9"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_gcp_005

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s has an external IP", [input.address]), "path": sprintf("config.network_interface[%d]", [i])} if {
	some i, ni in tf.blocks(tf.config, "network_interface")
	count(tf.blocks(ni, "access_config")) > 0
}
