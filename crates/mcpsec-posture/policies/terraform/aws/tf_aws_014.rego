# METADATA
# title: IAM policy grants full admin (*:*)
# description: A statement allowing Action `*` on Resource `*` grants full administrative access.
# related_resources: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege']
# custom:
#   id: TF-AWS-014
#   severity: critical
#   input: terraform
#   selector: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_ssoadmin_permission_set_inline_policy]
#   remediation: Grant only the actions and resources needed.
package mcpsec.checks.tf_aws_014

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s allows * on *", [input.address]), "path": "config.policy"} if {
	doc := tf.policy_doc(tf.iam_policy)
	some s in tf.statements(doc)
	object.get(s, "Effect", "") == "Allow"
	"*" in tf.as_list(object.get(s, "Action", []))
	"*" in tf.as_list(object.get(s, "Resource", []))
}
