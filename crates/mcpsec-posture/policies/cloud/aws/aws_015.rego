# METADATA
# title: "EC2 instance allows IMDSv1"
# description: "IMDSv1 answers unauthenticated GETs, so an SSRF in the application leaks the instance role credentials."
# custom:
#   id: AWS-015
#   severity: high
#   input: aws
#   selector: ["AWS::EC2::Instance"]
#   remediation: "Require IMDSv2 (`HttpTokens: required`)."
#   frameworks:
#     cis-aws: ["5.7"]
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.9"]
#     nist-800-53-r5: ["CM-6"]
#     pci-dss-4.0: ["2.2.5"]
#     soc2: ["CC7.1"]
package mcpsec.checks.aws_015

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("instance %s allows IMDSv1", [input.resourceId]), "path": "configuration.metadataOptions.httpTokens"} if {
	object.get(object.get(aws.cfg, "metadataOptions", {}), "httpEndpoint", "enabled") != "disabled"
	object.get(object.get(aws.cfg, "metadataOptions", {}), "httpTokens", "optional") != "required"
}
