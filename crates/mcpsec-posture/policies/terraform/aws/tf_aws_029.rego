# METADATA
# title: Load balancer access logs disabled
# description: Without access logs requests to the load balancer leave no trace for investigation.
# custom:
#   id: TF-AWS-029
#   severity: medium
#   input: terraform
#   selector: [aws_lb, aws_alb]
#   remediation: Add `access_logs { enabled = true }`.
package mcpsec.checks.tf_aws_029

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: load balancer access logs disabled", [input.address]), "path": "config"} if {
	not tf.is_true(object.get(tf.block(tf.config, "access_logs"), "enabled", false))
}
