# METADATA
# title: "CloudTrail log file validation disabled"
# description: "Without digest files, tampering with delivered logs cannot be detected."
# custom:
#   id: AWS-013
#   severity: medium
#   input: aws
#   selector: ["AWS::CloudTrail::Trail"]
#   remediation: "Enable log file validation."
#   frameworks:
#     cis-aws: ["3.2"]
#     gdpr: ["Art.33(1)"]
#     iso27001-2022: ["A.8.15"]
#     nist-800-53-r5: ["AU-2", "AU-12"]
#     pci-dss-4.0: ["10.2.1"]
#     soc2: ["CC7.2"]
package mcpsec.checks.aws_013

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("trail %s has log file validation disabled", [input.resourceName]), "path": "configuration.logFileValidationEnabled"} if {
	not aws.cfg.logFileValidationEnabled == true
}
