# METADATA
# title: "EBS volume not encrypted"
# description: "Unencrypted EBS volumes and their snapshots expose data at rest."
# custom:
#   id: AWS-008
#   severity: high
#   input: aws
#   selector: ["AWS::EC2::Volume"]
#   remediation: "Enable EBS encryption by default in every region; migrate the volume through an encrypted snapshot."
#   frameworks:
#     cis-aws: ["5.1.1"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-28"]
#     pci-dss-4.0: ["3.5.1"]
#     soc2: ["CC6.1"]
package mcpsec.checks.aws_008

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("volume %s is not encrypted", [input.resourceId]), "path": "configuration.encrypted"} if {
	not aws.cfg.encrypted == true
}
