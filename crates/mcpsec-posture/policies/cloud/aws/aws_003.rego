# METADATA
# title: "S3 server access logging disabled"
# description: "Without access logs there is no record of who read or changed objects."
# custom:
#   id: AWS-003
#   severity: medium
#   input: aws
#   selector: ["AWS::S3::Bucket"]
#   remediation: "Enable server access logging to a dedicated log bucket."
#   frameworks:
#     gdpr: ["Art.33(1)"]
#     iso27001-2022: ["A.8.15"]
#     nist-800-53-r5: ["AU-2", "AU-12"]
#     pci-dss-4.0: ["10.2.1"]
#     soc2: ["CC7.2"]
package mcpsec.checks.aws_003

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("bucket %s has no server access logging", [input.resourceName]), "path": "supplementaryConfiguration"} if {
	not is_string(object.get(aws.supp, "BucketLoggingConfiguration", {}).destinationBucketName)
}
