# METADATA
# title: "RDS storage not encrypted"
# description: "Database storage, snapshots and replicas are unencrypted."
# custom:
#   id: AWS-009
#   severity: high
#   input: aws
#   selector: ["AWS::RDS::DBInstance"]
#   remediation: "Create the instance with `StorageEncrypted` (restore an encrypted snapshot copy for existing ones)."
#   frameworks:
#     cis-aws: ["2.2.1"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-28"]
#     pci-dss-4.0: ["3.5.1"]
#     soc2: ["CC6.1"]
package mcpsec.checks.aws_009

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("RDS instance %s storage is not encrypted", [input.resourceName]), "path": "configuration.storageEncrypted"} if {
	not aws.cfg.storageEncrypted == true
}
