# METADATA
# title: "IAM user with AdministratorAccess"
# description: "A user with the AdministratorAccess policy attached directly holds every permission with long-lived credentials."
# custom:
#   id: AWS-017
#   severity: high
#   input: aws
#   selector: ["AWS::IAM::User"]
#   remediation: "Grant admin rights through a role assumed with MFA (or SSO), not to a user."
#   frameworks:
#     cis-aws: ["1.15"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.aws_017

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("user %s has AdministratorAccess attached", [input.resourceName]), "path": sprintf("configuration.attachedManagedPolicies[%d]", [i])} if {
	some i, p in aws.coll(object.get(aws.cfg, "attachedManagedPolicies", []))
	endswith(object.get(p, "policyArn", ""), ":policy/AdministratorAccess")
}
