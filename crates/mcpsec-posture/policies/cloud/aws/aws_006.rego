# METADATA
# title: "Remote administration port open to the internet"
# description: "SSH (22) or RDP (3389) reachable from 0.0.0.0/0 or ::/0 invites brute force and exploits."
# custom:
#   id: AWS-006
#   severity: high
#   input: aws
#   selector: ["AWS::EC2::SecurityGroup"]
#   remediation: "Restrict the source to known ranges, or use SSM Session Manager / a bastion."
#   frameworks:
#     cis-aws: ["5.3", "5.4"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_006

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("security group %s opens port %d to the internet", [input.resourceName, port]), "path": sprintf("configuration.ipPermissions[%d]", [i])} if {
	some i, p in aws.coll(object.get(aws.cfg, "ipPermissions", []))
	aws.perm_open(p)
	some port in [22, 3389]
	aws.covers(p, port)
}
