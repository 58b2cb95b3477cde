# METADATA
# title: RDS storage not encrypted
# description: Unencrypted RDS storage exposes data, backups and snapshots at rest.
# custom:
#   id: TF-AWS-012
#   severity: high
#   input: terraform
#   selector: [aws_db_instance]
#   remediation: Set `storage_encrypted = true`.
package mcpsec.checks.tf_aws_012

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: rDS storage not encrypted", [input.address]), "path": "config.storage_encrypted"} if {
	not tf.is_true(object.get(tf.config, "storage_encrypted", false))
}
