# METADATA
# title: "RDS backup retention under 7 days"
# description: "Automated backups are off (0) or kept too briefly to recover from an incident noticed late."
# custom:
#   id: AWS-011
#   severity: medium
#   input: aws
#   selector: ["AWS::RDS::DBInstance"]
#   remediation: "Set the backup retention period to at least 7 days."
#   frameworks:
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.aws_011

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("RDS instance %s keeps backups %v days", [input.resourceName, n]), "path": "configuration.backupRetentionPeriod"} if {
	n := object.get(aws.cfg, "backupRetentionPeriod", 0)
	is_number(n)
	n < 7
}
