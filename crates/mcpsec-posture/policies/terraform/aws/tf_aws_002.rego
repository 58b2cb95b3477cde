# METADATA
# title: S3 bucket policy allows any principal
# description: 'A bucket policy statement that allows `Principal: *` without conditions opens the bucket to the internet.'
# related_resources: ['https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html']
# custom:
#   id: TF-AWS-002
#   severity: critical
#   input: terraform
#   selector: [aws_s3_bucket, aws_s3_bucket_policy]
#   remediation: Name the principals, or restrict with conditions (aws:SourceVpce, aws:PrincipalOrgID...).
package mcpsec.checks.tf_aws_002

import rego.v1

import data.lib.terraform as tf

any_principal(p) if p == "*"

any_principal(p) if {
	some v in tf.as_list(p.AWS)
	v == "*"
}

deny contains {"msg": sprintf("%s policy allows %v to any principal", [input.address, object.get(s, "Action", "")]), "path": "config.policy"} if {
	doc := tf.policy_doc(tf.config.policy)
	some s in tf.statements(doc)
	object.get(s, "Effect", "") == "Allow"
	any_principal(s.Principal)
	not s.Condition
}
