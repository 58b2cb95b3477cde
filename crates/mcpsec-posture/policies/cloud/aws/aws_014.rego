# METADATA
# title: "CloudTrail logs not encrypted with KMS"
# description: "Logs are only SSE-S3 encrypted; a KMS key adds access control and auditing on reading them."
# custom:
#   id: AWS-014
#   severity: medium
#   input: aws
#   selector: ["AWS::CloudTrail::Trail"]
#   remediation: "Set a customer-managed KMS key on the trail."
#   frameworks:
#     cis-aws: ["3.5"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)", "Art.33(1)"]
#     iso27001-2022: ["A.8.24", "A.8.15"]
#     nist-800-53-r5: ["SC-28", "AU-2", "AU-12"]
#     pci-dss-4.0: ["3.5.1", "10.2.1"]
#     soc2: ["CC6.1", "CC7.2"]
package mcpsec.checks.aws_014

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("trail %s is not encrypted with a KMS key", [input.resourceName]), "path": "configuration"} if {
	not is_string(aws.cfg.kmsKeyId)
}
