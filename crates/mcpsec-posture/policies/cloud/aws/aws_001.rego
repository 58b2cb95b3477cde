# METADATA
# title: "S3 Block Public Access not fully enabled"
# description: "Without all four Block Public Access settings, an ACL or bucket policy can make objects public."
# custom:
#   id: AWS-001
#   severity: high
#   input: aws
#   selector: ["AWS::S3::Bucket"]
#   remediation: "Enable blockPublicAcls, ignorePublicAcls, blockPublicPolicy and restrictPublicBuckets on the bucket (and the account)."
#   frameworks:
#     cis-aws: ["2.1.4"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_001

import rego.v1

import data.lib.aws

settings := ["blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy", "restrictPublicBuckets"]

deny contains {"msg": sprintf("bucket %s has no Block Public Access configuration", [input.resourceName]), "path": "supplementaryConfiguration"} if {
	not aws.supp.PublicAccessBlockConfiguration
}

deny contains {"msg": sprintf("bucket %s: Block Public Access %s is off", [input.resourceName, s]), "path": sprintf("supplementaryConfiguration.PublicAccessBlockConfiguration.%s", [s])} if {
	pab := aws.supp.PublicAccessBlockConfiguration
	some s in settings
	not pab[s] == true
}
