# METADATA
# title: CloudTrail not multi-region
# description: A single-region trail misses activity in other regions, where attackers like to operate.
# related_resources: ['https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html']
# custom:
#   id: TF-AWS-018
#   severity: medium
#   input: terraform
#   selector: [aws_cloudtrail]
#   remediation: Set `is_multi_region_trail = true`.
package mcpsec.checks.tf_aws_018

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: cloudTrail not multi-region", [input.address]), "path": "config"} if {
	not tf.is_true(object.get(tf.config, "is_multi_region_trail", false))
}
