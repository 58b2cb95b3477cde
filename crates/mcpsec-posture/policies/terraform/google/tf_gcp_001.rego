# METADATA
# title: "Bucket without uniform bucket-level access"
# description: "Per-object ACLs make access hard to review."
# custom:
#   id: TF-GCP-001
#   severity: medium
#   input: terraform
#   selector: ["google_storage_bucket"]
#   remediation: "Set `uniform_bucket_level_access = true`."
#   frameworks:
#     cis-gcp: ["5.2"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.tf_gcp_001

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s does not use uniform bucket-level access", [input.address]), "path": "config.uniform_bucket_level_access"} if {
	not tf.is_true(object.get(tf.config, "uniform_bucket_level_access", false))
}
