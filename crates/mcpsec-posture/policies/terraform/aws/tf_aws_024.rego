# METADATA
# title: SNS topic not encrypted
# description: Messages at rest are not encrypted.
# custom:
#   id: TF-AWS-024
#   severity: medium
#   input: terraform
#   selector: [aws_sns_topic]
#   remediation: Set `kms_master_key_id`.
package mcpsec.checks.tf_aws_024

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: sNS topic not encrypted", [input.address]), "path": "config"} if {
	not tf.nonempty(tf.config.kms_master_key_id)
}
