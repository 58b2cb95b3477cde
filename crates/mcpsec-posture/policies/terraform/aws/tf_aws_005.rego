# METADATA
# title: S3 access logging disabled
# description: Without server access logs there is no record of who read or changed objects.
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-005
#   severity: medium
#   input: terraform
#   selector: [aws_s3_bucket]
#   remediation: Add `aws_s3_bucket_logging` to a log bucket.
package mcpsec.checks.tf_aws_005

import rego.v1

import data.lib.terraform as tf

inline_ok if count(tf.blocks(tf.config, "logging")) > 0

separate_ok if {
	some r in tf.resources_of("aws_s3_bucket_logging")
	tf.refers_to_me(r)
}

deny contains {"msg": sprintf("%s: s3 access logging disabled", [input.address]), "path": "config"} if {
	not inline_ok
	not separate_ok
}
