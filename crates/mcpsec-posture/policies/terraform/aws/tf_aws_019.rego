# METADATA
# title: CloudTrail logging disabled
# description: '`enable_logging = false` stops the trail from recording API activity.'
# related_resources: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html']
# custom:
#   id: TF-AWS-019
#   severity: high
#   input: terraform
#   selector: [aws_cloudtrail]
#   remediation: Remove `enable_logging = false`.
package mcpsec.checks.tf_aws_019

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: cloudTrail logging disabled", [input.address]), "path": "config.enable_logging"} if {
	tf.is_false(object.get(tf.config, "enable_logging", true))
}
