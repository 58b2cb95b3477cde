# METADATA
# title: S3 bucket without public access block
# description: Without a public access block a later ACL or policy change can make the bucket public.
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-006
#   severity: high
#   input: terraform
#   selector: [aws_s3_bucket]
#   remediation: Add `aws_s3_bucket_public_access_block` with all four settings true.
package mcpsec.checks.tf_aws_006

import rego.v1

import data.lib.terraform as tf

separate_ok if {
	some r in tf.resources_of("aws_s3_bucket_public_access_block")
	tf.refers_to_me(r)
}

deny contains {"msg": sprintf("%s: s3 bucket without public access block", [input.address]), "path": "config"} if {
	not separate_ok
}
