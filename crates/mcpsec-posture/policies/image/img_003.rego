# METADATA
# title: "Secrets in image environment"
# description: "An environment variable of the image configuration is named like a secret and has a value, or its value looks like a key: it is visible to anyone who can inspect or pull the image and to every process of the container."
# custom:
#   id: IMG-003
#   severity: high
#   input: container-image
#   remediation: "Pass secrets at run time (orchestrator secrets, mounted files) instead of baking them into ENV; rotate the exposed secret."
#   frameworks:
#     soc2: ["CC6.1"]
#     nist-800-53-r5: ["IA-5", "SC-28"]
#     pci-dss-4.0: ["8.6.3"]
#     iso27001-2022: ["A.5.17"]
package mcpsec.checks.img_003

import rego.v1

secret_name(n) if regex.match(`(?i)(passw(or)?d|secret|token|api_?key|private_?key|credential|access_?key)`, n)

# Variables that point at a secret rather than hold one.
reference(n) if regex.match(`(?i)_(file|path|dir|url|env|name)$`, n)

bad(e) if {
	secret_name(e.name)
	not reference(e.name)
	e.has_value
}

bad(e) if {
	is_string(e.value_secret)
}

deny contains {"msg": sprintf("ENV %s holds a secret (value not shown)", [e.name]), "path": "config.env"} if {
	some e in input.config.env
	bad(e)
}
