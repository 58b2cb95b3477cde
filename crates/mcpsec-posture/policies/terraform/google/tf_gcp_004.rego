# METADATA
# title: "GKE legacy ABAC enabled"
# description: "Legacy ABAC grants broad permissions alongside RBAC."
# custom:
#   id: TF-GCP-004
#   severity: high
#   input: terraform
#   selector: ["google_container_cluster"]
#   remediation: "Remove `enable_legacy_abac` (defaults to false)."
#   frameworks:
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.tf_gcp_004

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s enables legacy ABAC", [input.address]), "path": "config.enable_legacy_abac"} if {
	tf.is_true(object.get(tf.config, "enable_legacy_abac", false))
}
