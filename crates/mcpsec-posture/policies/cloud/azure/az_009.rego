# METADATA
# title: "NSG allows SSH or RDP from the internet"
# description: "An inbound Allow rule from any source (`*`, `Internet`, 0.0.0.0/0) to port 22 or 3389 exposes remote administration."
# custom:
#   id: AZ-009
#   severity: high
#   input: azure
#   selector: ["microsoft.network/networksecuritygroups"]
#   remediation: "Restrict the source to known ranges, or use Azure Bastion / just-in-time access."
#   frameworks:
#     cis-azure: ["7.1", "7.2"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.az_009

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("NSG %s rule %s opens port %d to the internet", [input.name, object.get(r, "name", ""), port]), "path": sprintf("properties.securityRules[%d]", [i])} if {
	some i, r in az.coll(input.securityRules)
	rp := az.rule_props(r)
	az.inbound_allow(rp)
	az.from_internet(rp)
	some port in [22, 3389]
	az.covers(rp, port)
}
