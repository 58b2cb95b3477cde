# Helpers for GCP inventory policies (Cloud Asset Inventory resources).
package lib.gcp

import rego.v1

# The resource's data (`resource.data` of the asset).
d := object.get(input, "data", {})

coll(x) := x if is_array(x)
else := x if is_object(x)
else := []

world := {"0.0.0.0/0", "::/0"}

protocol(a) := object.get(a, "IPProtocol", object.get(a, "ipProtocol", ""))

# Whether an allowed entry covers TCP port n (no ports = every port).
covers(a, n) if protocol(a) == "all"

covers(a, n) if {
	protocol(a) == "tcp"
	not a.ports
}

covers(a, n) if {
	protocol(a) == "tcp"
	some p in coll(a.ports)
	port_covers(p, n)
}

port_covers(p, n) if p == sprintf("%d", [n])

port_covers(p, n) if {
	contains(p, "-")
	parts := split(p, "-")
	to_number(parts[0]) <= n
	to_number(parts[1]) >= n
}

open_ingress if {
	object.get(d, "direction", "INGRESS") == "INGRESS"
	not d.disabled == true
	some r in coll(object.get(d, "sourceRanges", []))
	r in world
}
