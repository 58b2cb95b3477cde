# METADATA
# title: EC2 instance allows IMDSv1
# description: 'IMDSv1 answers unauthenticated GET requests: an SSRF in the instance can steal its role credentials.'
# related_resources: ['https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-instance-metadata-service.html']
# custom:
#   id: TF-AWS-021
#   severity: high
#   input: terraform
#   selector: [aws_instance, aws_launch_template, aws_launch_configuration]
#   remediation: Set `metadata_options { http_tokens = "required" }`.
package mcpsec.checks.tf_aws_021

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eC2 instance allows IMDSv1", [input.address]), "path": "config.metadata_options"} if {
	mo := tf.block(tf.config, "metadata_options")
	object.get(mo, "http_endpoint", "enabled") != "disabled"
	object.get(mo, "http_tokens", "optional") != "required"
}
