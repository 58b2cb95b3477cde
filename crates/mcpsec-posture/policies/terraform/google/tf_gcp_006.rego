# METADATA
# title: "VM IP forwarding enabled"
# description: "An instance that forwards packets can route traffic around firewall rules."
# custom:
#   id: TF-GCP-006
#   severity: medium
#   input: terraform
#   selector: ["google_compute_instance"]
#   remediation: "Remove `can_ip_forward = true`."
#   frameworks:
#     cis-gcp: ["4.6"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_gcp_006

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s forwards IP packets", [input.address]), "path": "config.can_ip_forward"} if {
	tf.is_true(object.get(tf.config, "can_ip_forward", false))
}
