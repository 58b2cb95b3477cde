# METADATA
# title: All ports open to the internet
# description: An ingress rule allows every protocol or port from 0.0.0.0/0.
# related_resources: ['https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html']
# custom:
#   id: TF-AWS-010
#   severity: critical
#   input: terraform
#   selector: [aws_security_group, aws_security_group_rule, aws_vpc_security_group_ingress_rule]
#   remediation: Allow only the ports the service needs, from the sources that need them.
package mcpsec.checks.tf_aws_010

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

deny contains {"msg": sprintf("%s allows all traffic from the internet", [input.address]), "path": x.path} if {
	some x in ingress_rules
	tf.open_to_world(x.rule)
	all_traffic(x.rule)
}

all_traffic(rule) if tf.all_protocols(rule)

all_traffic(rule) if tf.every_port(rule)
