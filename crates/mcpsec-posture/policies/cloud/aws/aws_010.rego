# METADATA
# title: "RDS instance publicly accessible"
# description: "A publicly accessible instance has a public DNS name and address; only the security group stands between it and the internet."
# custom:
#   id: AWS-010
#   severity: critical
#   input: aws
#   selector: ["AWS::RDS::DBInstance"]
#   remediation: "Set `PubliclyAccessible` to false and reach the database from inside the VPC."
#   frameworks:
#     cis-aws: ["2.2.3"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_010

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("RDS instance %s is publicly accessible", [input.resourceName]), "path": "configuration.publiclyAccessible"} if {
	aws.cfg.publiclyAccessible == true
}
