# METADATA
# title: "EC2 instance has a public IP"
# description: "An instance with a public address is reachable from the internet wherever its security groups allow."
# custom:
#   id: AWS-016
#   severity: medium
#   input: aws
#   selector: ["AWS::EC2::Instance"]
#   remediation: "Launch into private subnets behind a load balancer or NAT; disable auto-assigned public IPs."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.aws_016

import rego.v1

import data.lib.aws

deny contains {"msg": sprintf("instance %s has public IP %s", [input.resourceId, ip]), "path": "configuration.publicIpAddress"} if {
	ip := aws.cfg.publicIpAddress
	is_string(ip)
	ip != ""
}
