# METADATA
# title: Load balancer listener serves plain HTTP
# description: An HTTP listener that does not redirect to HTTPS serves traffic in clear text.
# custom:
#   id: TF-AWS-030
#   severity: medium
#   input: terraform
#   selector: [aws_lb_listener, aws_alb_listener]
#   remediation: Use HTTPS, or make the HTTP listener redirect to HTTPS.
package mcpsec.checks.tf_aws_030

import rego.v1

import data.lib.terraform as tf

redirects if {
	some a in tf.blocks(tf.config, "default_action")
	a.type == "redirect"
	object.get(tf.block(a, "redirect"), "protocol", "") == "HTTPS"
}

deny contains {"msg": sprintf("%s: load balancer listener serves plain HTTP", [input.address]), "path": "config.protocol"} if {
	object.get(tf.config, "protocol", "") == "HTTP"
	not redirects
}
