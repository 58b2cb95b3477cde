# METADATA
# title: "EFS file system not encrypted"
# description: "Data on the file system is stored unencrypted."
# custom:
#   id: AWS-019
#   severity: high
#   input: aws
#   selector: ["AWS::EFS::FileSystem"]
#   remediation: "Create the file system with encryption at rest enabled and migrate the data."
#   frameworks:
#     cis-aws: ["2.3.1"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-28"]
#     pci-dss-4.0: ["3.5.1"]
#     soc2: ["CC6.1"]
package mcpsec.checks.aws_019

import rego.v1

import data.lib.aws

encrypted if aws.cfg.Encrypted == true

encrypted if aws.cfg.encrypted == true

deny contains {"msg": sprintf("EFS file system %s is not encrypted", [input.resourceId]), "path": "configuration"} if {
	not encrypted
}
