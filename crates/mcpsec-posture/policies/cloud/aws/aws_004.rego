# METADATA
# title: "S3 ACL grants public access"
# description: "An ACL grant to AllUsers or AuthenticatedUsers exposes the bucket to anyone (with any AWS account)."
# custom:
#   id: AWS-004
#   severity: critical
#   input: aws
#   selector: ["AWS::S3::Bucket"]
#   remediation: "Remove the grant; use bucket policies scoped to principals and keep Block Public Access on."
#   frameworks:
#     cis-aws: ["2.1.4"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_004

import rego.v1

import data.lib.aws

public_grantee(g) if g in {"AllUsers", "AuthenticatedUsers"}

public_grantee(g) if {
	is_object(g)
	some _, v in g
	is_string(v)
	regex.match(`acs\.amazonaws\.com/groups/global/(AllUsers|AuthenticatedUsers)`, v)
}

deny contains {"msg": sprintf("bucket %s ACL grants %s to everyone", [input.resourceName, g.permission]), "path": "supplementaryConfiguration.AccessControlList"} if {
	some g in aws.coll(object.get(object.get(aws.supp, "AccessControlList", {}), "grantList", []))
	public_grantee(g.grantee)
}
