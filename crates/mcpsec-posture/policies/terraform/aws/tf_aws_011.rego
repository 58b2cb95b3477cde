# METADATA
# title: EBS volume not encrypted
# description: Unencrypted EBS volumes and their snapshots expose data at rest.
# custom:
#   id: TF-AWS-011
#   severity: high
#   input: terraform
#   selector: [aws_ebs_volume]
#   remediation: Set `encrypted = true` (and a KMS key).
package mcpsec.checks.tf_aws_011

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eBS volume not encrypted", [input.address]), "path": "config.encrypted"} if {
	not tf.is_true(object.get(tf.config, "encrypted", false))
}
