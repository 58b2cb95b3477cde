# METADATA
# title: EC2 instance has a public IP
# description: Instances with a public IP are reachable from the internet whenever a security group allows it.
# custom:
#   id: TF-AWS-022
#   severity: medium
#   input: terraform
#   selector: [aws_instance]
#   remediation: Place instances in private subnets; remove `associate_public_ip_address = true`.
package mcpsec.checks.tf_aws_022

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eC2 instance has a public IP", [input.address]), "path": "config.associate_public_ip_address"} if {
	tf.is_true(object.get(tf.config, "associate_public_ip_address", false))
}
