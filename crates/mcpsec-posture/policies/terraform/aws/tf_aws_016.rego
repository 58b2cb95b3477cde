# METADATA
# title: CloudTrail log file validation disabled
# description: Without log file validation, tampering with delivered logs goes unnoticed.
# related_resources: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html']
# custom:
#   id: TF-AWS-016
#   severity: medium
#   input: terraform
#   selector: [aws_cloudtrail]
#   remediation: Set `enable_log_file_validation = true`.
package mcpsec.checks.tf_aws_016

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: cloudTrail log file validation disabled", [input.address]), "path": "config.enable_log_file_validation"} if {
	not tf.is_true(object.get(tf.config, "enable_log_file_validation", false))
}
