# METADATA
# title: RDS instance publicly accessible
# description: A publicly accessible database gets a public IP and can be reached from the internet.
# custom:
#   id: TF-AWS-013
#   severity: critical
#   input: terraform
#   selector: [aws_db_instance, aws_rds_cluster_instance]
#   remediation: Set `publicly_accessible = false`.
package mcpsec.checks.tf_aws_013

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: rDS instance publicly accessible", [input.address]), "path": "config.publicly_accessible"} if {
	tf.is_true(object.get(tf.config, "publicly_accessible", false))
}
