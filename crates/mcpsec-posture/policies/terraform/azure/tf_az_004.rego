# METADATA
# title: "NSG rule allows SSH or RDP from the internet"
# description: "An inbound Allow rule from any source to port 22 or 3389 exposes remote administration."
# custom:
#   id: TF-AZ-004
#   severity: high
#   input: terraform
#   selector: ["azurerm_network_security_rule", "azurerm_network_security_group"]
#   remediation: "Restrict `source_address_prefix` or use Azure Bastion."
#   frameworks:
#     cis-azure: ["7.1", "7.2"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_az_004

import rego.v1

import data.lib.terraform as tf

world := {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}

rules contains {"r": tf.config, "path": "config"} if input.type == "azurerm_network_security_rule"

rules contains {"r": r, "path": sprintf("config.security_rule[%d]", [i])} if {
	input.type == "azurerm_network_security_group"
	some i, r in tf.blocks(tf.config, "security_rule")
}

from_internet(r) if lower(object.get(r, "source_address_prefix", "")) in world

from_internet(r) if {
	some p in tf.coll(object.get(r, "source_address_prefixes", []))
	lower(p) in world
}

range_covers(s, n) if s == "*"

range_covers(s, n) if s == sprintf("%d", [n])

range_covers(s, n) if {
	contains(s, "-")
	parts := split(s, "-")
	to_number(parts[0]) <= n
	to_number(parts[1]) >= n
}

covers(r, n) if range_covers(object.get(r, "destination_port_range", ""), n)

covers(r, n) if {
	some s in tf.coll(object.get(r, "destination_port_ranges", []))
	range_covers(s, n)
}

deny contains {"msg": sprintf("%s opens port %d to the internet", [input.address, port]), "path": x.path} if {
	some x in rules
	lower(object.get(x.r, "access", "")) == "allow"
	lower(object.get(x.r, "direction", "")) == "inbound"
	from_internet(x.r)
	some port in [22, 3389]
	covers(x.r, port)
}
