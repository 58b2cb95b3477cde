# METADATA
# title: "Firewall allows SSH or RDP from the internet"
# description: "Ingress from 0.0.0.0/0 to port 22 or 3389 exposes remote administration."
# custom:
#   id: TF-GCP-002
#   severity: high
#   input: terraform
#   selector: ["google_compute_firewall"]
#   remediation: "Restrict `source_ranges`, or use IAP TCP forwarding."
#   frameworks:
#     cis-gcp: ["3.6", "3.7"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.tf_gcp_002

import rego.v1

import data.lib.terraform as tf

port_covers(p, n) if p == sprintf("%d", [n])

port_covers(p, n) if p == n

port_covers(p, n) if {
	is_string(p)
	contains(p, "-")
	parts := split(p, "-")
	to_number(parts[0]) <= n
	to_number(parts[1]) >= n
}

covers(a, n) if a.protocol == "all"

covers(a, n) if {
	a.protocol == "tcp"
	count(tf.coll(object.get(a, "ports", []))) == 0
}

covers(a, n) if {
	a.protocol == "tcp"
	some p in tf.coll(a.ports)
	port_covers(p, n)
}

deny contains {"msg": sprintf("%s opens port %d to the internet", [input.address, port]), "path": sprintf("config.allow[%d]", [i])} if {
	object.get(tf.config, "direction", "INGRESS") == "INGRESS"
	not tf.is_true(object.get(tf.config, "disabled", false))
	some r in tf.coll(object.get(tf.config, "source_ranges", []))
	r in {"0.0.0.0/0", "::/0"}
	some i, a in tf.blocks(tf.config, "allow")
	some port in [22, 3389]
	covers(a, port)
}
