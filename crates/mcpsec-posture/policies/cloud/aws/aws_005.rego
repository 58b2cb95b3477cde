# METADATA
# title: "S3 default encryption not configured"
# description: "Buckets without a default encryption configuration (older buckets, some exports) may hold unencrypted objects."
# custom:
#   id: AWS-005
#   severity: low
#   input: aws
#   selector: ["AWS::S3::Bucket"]
#   remediation: "Configure default encryption with SSE-KMS (or at least SSE-S3)."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-28"]
#     pci-dss-4.0: ["3.5.1"]
#     soc2: ["CC6.1"]
package mcpsec.checks.aws_005

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("bucket %s has no default encryption", [input.resourceName]), "path": "supplementaryConfiguration"} if {
	count(aws.coll(object.get(object.get(aws.supp, "ServerSideEncryptionConfiguration", {}), "rules", []))) == 0
}
