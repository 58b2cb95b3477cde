# METADATA
# title: KMS key rotation disabled
# description: Without rotation a compromised key material stays valid forever.
# related_resources: ['https://docs.aws.amazon.com/kms/latest/developerguide/rotate-keys.html']
# custom:
#   id: TF-AWS-020
#   severity: medium
#   input: terraform
#   selector: [aws_kms_key]
#   remediation: Set `enable_key_rotation = true` on symmetric keys.
package mcpsec.checks.tf_aws_020

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: kMS key rotation disabled", [input.address]), "path": "config"} if {
	object.get(tf.config, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"
	not tf.is_true(object.get(tf.config, "enable_key_rotation", false))
}
