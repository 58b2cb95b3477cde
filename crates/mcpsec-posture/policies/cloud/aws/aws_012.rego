# METADATA
# title: "CloudTrail trail not multi-region"
# description: "A single-region trail misses API activity in the other regions, where attackers like to work."
# custom:
#   id: AWS-012
#   severity: medium
#   input: aws
#   selector: ["AWS::CloudTrail::Trail"]
#   remediation: "Make the trail multi-region (`IsMultiRegionTrail`)."
#   frameworks:
#     cis-aws: ["3.1"]
#     gdpr: ["Art.33(1)"]
#     iso27001-2022: ["A.8.15"]
#     nist-800-53-r5: ["AU-2", "AU-12"]
#     pci-dss-4.0: ["10.2.1"]
#     soc2: ["CC7.2"]
package mcpsec.checks.aws_012

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("trail %s records one region only", [input.resourceName]), "path": "configuration.isMultiRegionTrail"} if {
	not aws.cfg.isMultiRegionTrail == true
}
