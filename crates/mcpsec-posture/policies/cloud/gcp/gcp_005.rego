# METADATA
# title: "Firewall allows all traffic from the internet"
# description: "An ingress rule for protocol `all` from 0.0.0.0/0 exposes every port of the targeted instances."
# custom:
#   id: GCP-005
#   severity: critical
#   input: gcp
#   selector: ["compute.googleapis.com/Firewall"]
#   remediation: "Allow only the protocols and ports the service needs."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.gcp_005

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("firewall %s allows all traffic from the internet", [object.get(gcp.d, "name", "")]), "path": sprintf("resource.data.allowed[%d]", [i])} if {
	gcp.open_ingress
	some i, a in gcp.coll(object.get(gcp.d, "allowed", []))
	gcp.protocol(a) == "all"
}
