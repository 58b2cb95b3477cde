# METADATA
# title: "Firewall allows SSH or RDP from the internet"
# description: "Ingress from 0.0.0.0/0 to port 22 or 3389 exposes remote administration."
# custom:
#   id: GCP-004
#   severity: high
#   input: gcp
#   selector: ["compute.googleapis.com/Firewall"]
#   remediation: "Restrict the source ranges, or use Identity-Aware Proxy TCP forwarding (35.235.240.0/20)."
#   frameworks:
#     cis-gcp: ["3.6", "3.7"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.gcp_004

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("firewall %s opens port %d to the internet", [object.get(gcp.d, "name", ""), port]), "path": sprintf("resource.data.allowed[%d]", [i])} if {
	gcp.open_ingress
	some i, a in gcp.coll(object.get(gcp.d, "allowed", []))
	some port in [22, 3389]
	gcp.covers(a, port)
}
