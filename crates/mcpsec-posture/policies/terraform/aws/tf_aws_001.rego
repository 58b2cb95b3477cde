# METADATA
# title: S3 bucket ACL is public
# description: A public-read, public-read-write or authenticated-read ACL exposes the bucket's objects to everyone.
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-001
#   severity: critical
#   input: terraform
#   selector: [aws_s3_bucket, aws_s3_bucket_acl]
#   remediation: 'Use a private ACL (better: disable ACLs with object ownership BucketOwnerEnforced).'
package mcpsec.checks.tf_aws_001

import rego.v1

import data.lib.terraform as tf

public := {"public-read", "public-read-write", "authenticated-read"}

deny contains {"msg": sprintf("%s has public ACL %q", [input.address, tf.config.acl]), "path": "config.acl"} if {
	tf.config.acl in public
}
