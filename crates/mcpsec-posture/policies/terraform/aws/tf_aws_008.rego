# METADATA
# title: SSH open to the internet
# description: An ingress rule allows 0.0.0.0/0 (or ::/0) to port 22; the service is exposed to brute force and exploits.
# related_resources: ['https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html']
# custom:
#   id: TF-AWS-008
#   severity: high
#   input: terraform
#   selector: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   remediation: Restrict the source to known ranges, or use a bastion / SSM Session Manager.
package mcpsec.checks.tf_aws_008

import rego.v1

import data.lib.terraform as tf

ingress_rules contains {"rule": r, "path": sprintf("config.ingress[%d]", [i])} if {
	input.type == "aws_security_group"
	some i, r in tf.blocks(tf.config, "ingress")
}

ingress_rules contains {"rule": tf.config, "path": "config"} if {
	input.type == "aws_security_group_rule"
	tf.config.type == "ingress"
}

ingress_rules contains {"rule": tf.config, "path": "config"} if input.type == "aws_vpc_security_group_ingress_rule"

deny contains {"msg": sprintf("%s allows port 22 from the internet", [input.address]), "path": x.path} if {
	some x in ingress_rules
	tf.open_to_world(x.rule)
	tf.covers_port(x.rule, 22)
}
