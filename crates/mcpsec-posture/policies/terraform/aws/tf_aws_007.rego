# METADATA
# title: S3 public access block setting disabled
# description: Each of the four public access block settings closes one way of making data public.
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-007
#   severity: high
#   input: terraform
#   selector: [aws_s3_bucket_public_access_block, aws_s3_account_public_access_block]
#   remediation: Set block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets to true.
package mcpsec.checks.tf_aws_007

import rego.v1

import data.lib.terraform as tf

settings := ["block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"]

deny contains {"msg": sprintf("%s: %s is not true", [input.address, s]), "path": sprintf("config.%s", [s])} if {
	some s in settings
	not tf.is_true(object.get(tf.config, s, false))
}
