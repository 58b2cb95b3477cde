# Helpers for Azure inventory policies (ARM resources, `az ... show`).
package lib.azure

import rego.v1

coll(x) := x if is_array(x)
else := x if is_object(x)
else := []

world_sources := {"*", "0.0.0.0", "0.0.0.0/0", "internet", "any", "::/0"}

# A security rule with its `properties` merged (ARM and az CLI shapes).
rule_props(r) := object.union(r, r.properties) if is_object(r.properties)
else := r

from_internet(rp) if lower(object.get(rp, "sourceAddressPrefix", "")) in world_sources

from_internet(rp) if {
	some p in coll(object.get(rp, "sourceAddressPrefixes", []))
	lower(p) in world_sources
}

port_ranges(rp) := array.concat([object.get(rp, "destinationPortRange", "")], [p | some p in coll(object.get(rp, "destinationPortRanges", []))])

# Whether a port range string ("*", "22", "20-30") covers port n.
range_covers(r, n) if r == "*"

range_covers(r, n) if r == sprintf("%d", [n])

range_covers(r, n) if {
	contains(r, "-")
	parts := split(r, "-")
	to_number(parts[0]) <= n
	to_number(parts[1]) >= n
}

covers(rp, n) if {
	some r in port_ranges(rp)
	is_string(r)
	range_covers(r, n)
}

inbound_allow(rp) if {
	lower(object.get(rp, "access", "")) == "allow"
	lower(object.get(rp, "direction", "")) == "inbound"
}
