# METADATA
# title: S3 bucket without server-side encryption configuration
# description: 'No encryption configuration: objects get only the account default (SSE-S3), without KMS key control or audit.'
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-003
#   severity: low
#   input: terraform
#   selector: [aws_s3_bucket]
#   remediation: Add an `aws_s3_bucket_server_side_encryption_configuration` (SSE-KMS).
package mcpsec.checks.tf_aws_003

import rego.v1

import data.lib.terraform as tf

inline_ok if count(tf.blocks(tf.config, "server_side_encryption_configuration")) > 0

separate_ok if {
	some r in tf.resources_of("aws_s3_bucket_server_side_encryption_configuration")
	tf.refers_to_me(r)
}

deny contains {"msg": sprintf("%s: s3 bucket without server-side encryption configuration", [input.address]), "path": "config"} if {
	not inline_ok
	not separate_ok
}
