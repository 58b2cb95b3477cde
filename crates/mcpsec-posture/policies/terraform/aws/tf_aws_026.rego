# METADATA
# title: ECR scan on push disabled
# description: Images are not scanned for vulnerabilities when pushed.
# custom:
#   id: TF-AWS-026
#   severity: low
#   input: terraform
#   selector: [aws_ecr_repository]
#   remediation: Set `image_scanning_configuration { scan_on_push = true }`.
package mcpsec.checks.tf_aws_026

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eCR scan on push disabled", [input.address]), "path": "config"} if {
	not tf.is_true(object.get(tf.block(tf.config, "image_scanning_configuration"), "scan_on_push", false))
}
