# Helpers for AWS inventory policies (AWS Config configuration items).
package lib.aws

import rego.v1

cfg := object.get(input, "configuration", {})

supp := object.get(input, "supplementaryConfiguration", {})

coll(x) := x if is_array(x)
else := x if is_object(x)
else := []

world := {"0.0.0.0/0", "::/0"}

# An ipPermission open to the internet.
perm_open(p) if {
	some r in coll(object.get(p, "ipv4Ranges", []))
	r.cidrIp in world
}

perm_open(p) if {
	some r in coll(object.get(p, "ipv6Ranges", []))
	r.cidrIpv6 in world
}

perm_open(p) if {
	some r in coll(object.get(p, "ipRanges", []))
	r in world
}

all_traffic(p) if object.get(p, "ipProtocol", "") in {"-1", -1}

# Whether an ipPermission covers TCP port n.
covers(p, n) if all_traffic(p)

covers(p, n) if {
	object.get(p, "ipProtocol", "") in {"tcp", "6", 6}
	object.get(p, "fromPort", 0) <= n
	object.get(p, "toPort", 65535) >= n
}
