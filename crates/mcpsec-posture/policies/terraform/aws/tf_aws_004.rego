# METADATA
# title: S3 bucket versioning disabled
# description: Without versioning, overwritten or deleted objects (ransomware, mistakes) cannot be recovered.
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-004
#   severity: medium
#   input: terraform
#   selector: [aws_s3_bucket]
#   remediation: Add `aws_s3_bucket_versioning` with status Enabled.
package mcpsec.checks.tf_aws_004

import rego.v1

import data.lib.terraform as tf

inline_ok if {
	some v in tf.blocks(tf.config, "versioning")
	tf.is_true(object.get(v, "enabled", false))
}

separate_ok if {
	some r in tf.resources_of("aws_s3_bucket_versioning")
	tf.refers_to_me(r)
	tf.block(r.config, "versioning_configuration").status == "Enabled"
}

deny contains {"msg": sprintf("%s: s3 bucket versioning disabled", [input.address]), "path": "config"} if {
	not inline_ok
	not separate_ok
}
