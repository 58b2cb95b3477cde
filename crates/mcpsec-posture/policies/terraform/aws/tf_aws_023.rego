# METADATA
# title: SQS queue not encrypted
# description: Messages at rest are not encrypted.
# custom:
#   id: TF-AWS-023
#   severity: medium
#   input: terraform
#   selector: [aws_sqs_queue]
#   remediation: Set `sqs_managed_sse_enabled = true` or `kms_master_key_id`.
package mcpsec.checks.tf_aws_023

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: sQS queue not encrypted", [input.address]), "path": "config"} if {
	not tf.nonempty(tf.config.kms_master_key_id)
	not tf.is_true(object.get(tf.config, "sqs_managed_sse_enabled", false))
}
