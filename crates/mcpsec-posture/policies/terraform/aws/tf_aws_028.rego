# METADATA
# title: RDS deletion protection disabled
# description: Without deletion protection one API call deletes the database.
# custom:
#   id: TF-AWS-028
#   severity: low
#   input: terraform
#   selector: [aws_db_instance, aws_rds_cluster]
#   remediation: Set `deletion_protection = true`.
package mcpsec.checks.tf_aws_028

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: rDS deletion protection disabled", [input.address]), "path": "config"} if {
	not tf.is_true(object.get(tf.config, "deletion_protection", false))
}
