# METADATA
# title: "IAM user has permissions outside groups"
# description: "Policies attached to users one by one are hard to review and to revoke; CIS asks for permissions through groups only."
# custom:
#   id: AWS-018
#   severity: low
#   input: aws
#   selector: ["AWS::IAM::User"]
#   remediation: "Attach policies to groups (or use roles) and put users in groups."
#   frameworks:
#     cis-aws: ["1.14"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.aws_018

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("user %s has %d policies attached directly", [input.resourceName, n]), "path": "configuration"} if {
	n := count(aws.coll(object.get(aws.cfg, "attachedManagedPolicies", []))) + count(aws.coll(object.get(aws.cfg, "userPolicyList", [])))
	n > 0
}
