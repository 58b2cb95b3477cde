# METADATA
# title: CloudTrail logs not encrypted with KMS
# description: Trail logs without a KMS key are readable by anyone with read access to the bucket.
# related_resources: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html']
# custom:
#   id: TF-AWS-017
#   severity: medium
#   input: terraform
#   selector: [aws_cloudtrail]
#   remediation: Set `kms_key_id`.
package mcpsec.checks.tf_aws_017

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: cloudTrail logs not encrypted with KMS", [input.address]), "path": "config"} if {
	not tf.nonempty(tf.config.kms_key_id)
}
