# METADATA
# title: "All traffic allowed from the internet"
# description: "An ingress rule with protocol -1 from 0.0.0.0/0 exposes every port of every instance in the group."
# custom:
#   id: AWS-007
#   severity: critical
#   input: aws
#   selector: ["AWS::EC2::SecurityGroup"]
#   remediation: "Allow only the ports the service needs."
#   frameworks:
#     cis-aws: ["5.3"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_007

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("security group %s allows all traffic from the internet", [input.resourceName]), "path": sprintf("configuration.ipPermissions[%d]", [i])} if {
	some i, p in aws.coll(object.get(aws.cfg, "ipPermissions", []))
	aws.all_traffic(p)
	aws.perm_open(p)
}
