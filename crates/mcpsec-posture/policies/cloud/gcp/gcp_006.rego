# METADATA
# title: "VM instance has a public IP"
# description: "An access config gives the instance an external address reachable from the internet."
# custom:
#   id: GCP-006
#   severity: medium
#   input: gcp
#   selector: ["compute.googleapis.com/Instance"]
#   remediation: "Remove the access config; use Cloud NAT for egress and IAP or a load balancer for ingress."
#   frameworks:
#     cis-gcp: ["4.9"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.gcp_006

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("instance %s has an external IP", [object.get(gcp.d, "name", "")]), "path": sprintf("resource.data.networkInterfaces[%d]", [i])} if {
	some i, ni in gcp.coll(object.get(gcp.d, "networkInterfaces", []))
	count(gcp.coll(object.get(ni, "accessConfigs", []))) > 0
}
