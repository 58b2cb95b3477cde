# METADATA
# title: ECR image tags mutable
# description: 'Mutable tags let a pushed image replace an existing tag: deployments by tag can silently change.'
# custom:
#   id: TF-AWS-025
#   severity: medium
#   input: terraform
#   selector: [aws_ecr_repository]
#   remediation: Set `image_tag_mutability = "IMMUTABLE"`.
package mcpsec.checks.tf_aws_025

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eCR image tags mutable", [input.address]), "path": "config"} if {
	not startswith(object.get(tf.config, "image_tag_mutability", "MUTABLE"), "IMMUTABLE")
}
