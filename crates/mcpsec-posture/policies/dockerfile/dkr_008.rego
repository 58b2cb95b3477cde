# METADATA
# title: APT lists not cleaned up
# description: Leaving /var/lib/apt/lists in the layer bloats the image with a stale package index.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-008, severity: low, input: dockerfile, remediation: End the install RUN with `rm -rf /var/lib/apt/lists/*`.}
package mcpsec.checks.dkr_008

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "apt-get install without removing /var/lib/apt/lists", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`\bapt(-get)?\s+(-\S+\s+)*install\b`, r.v)
	not contains(r.v, "/var/lib/apt/lists")
}
