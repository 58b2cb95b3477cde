# METADATA
# title: "S3 bucket versioning disabled"
# description: "Without versioning, overwritten or deleted objects cannot be recovered (ransomware, mistakes)."
# custom:
#   id: AWS-002
#   severity: medium
#   input: aws
#   selector: ["AWS::S3::Bucket"]
#   remediation: "Enable versioning (and consider MFA delete and Object Lock)."
#   frameworks:
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.aws_002

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("bucket %s does not have versioning enabled", [input.resourceName]), "path": "supplementaryConfiguration"} if {
	not object.get(object.get(aws.supp, "BucketVersioningConfiguration", {}), "status", "Off") == "Enabled"
}
