# METADATA
# title: "apk add keeps the package cache"
# description: "`apk add` without `--no-cache` leaves the package index in the layer: a bigger image and a package manager state to exploit."
# custom:
#   id: DKR-020
#   severity: low
#   input: dockerfile
#   selector: []
#   remediation: "Use `apk add --no-cache`."
#   frameworks:
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.9"]
#     nist-800-53-r5: ["CM-6"]
#     pci-dss-4.0: ["2.2.5"]
#     soc2: ["CC7.1"]
package mcpsec.checks.dkr_020

import rego.v1

runs contains {"n": n, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "apk add without --no-cache", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	contains(r.v, "apk add")
	not contains(r.v, "--no-cache")
}
