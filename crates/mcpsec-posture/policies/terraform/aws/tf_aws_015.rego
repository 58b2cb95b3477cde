# METADATA
# title: IAM policy grants a whole service on every resource
# description: A statement allowing `service:*` on Resource `*` grants every action of the service, including destructive and permission-changing ones.
# related_resources: ['https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege']
# custom:
#   id: TF-AWS-015
#   severity: high
#   input: terraform
#   selector: [aws_iam_policy, aws_iam_role_policy, aws_iam_user_policy, aws_iam_group_policy, aws_ssoadmin_permission_set_inline_policy]
#   remediation: List the actions and scope the resources.
package mcpsec.checks.tf_aws_015

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s allows %s on *", [input.address, a]), "path": "config.policy"} if {
	doc := tf.policy_doc(tf.iam_policy)
	some s in tf.statements(doc)
	object.get(s, "Effect", "") == "Allow"
	"*" in tf.as_list(object.get(s, "Resource", []))
	some a in tf.as_list(object.get(s, "Action", []))
	endswith(a, ":*")
}
