# METADATA
# title: "VM IP forwarding enabled"
# description: "An instance that forwards packets can route traffic around firewall rules."
# custom:
#   id: GCP-009
#   severity: medium
#   input: gcp
#   selector: ["compute.googleapis.com/Instance"]
#   remediation: "Disable `canIpForward` unless the VM is a NAT or router appliance."
#   frameworks:
#     cis-gcp: ["4.6"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.gcp_009

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("instance %s forwards IP packets", [object.get(gcp.d, "name", "")]), "path": "resource.data.canIpForward"} if {
	gcp.d.canIpForward == true
}
