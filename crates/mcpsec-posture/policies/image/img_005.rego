# METADATA
# title: "Download tools left in the image"
# description: "curl or wget is present in the final image: it lets an attacker in the container fetch tooling and exfiltrate data."
# custom:
#   id: IMG-005
#   severity: low
#   input: container-image
#   remediation: "Use the tools in a build stage only, or remove them in the same layer that installed them."
#   frameworks:
#     soc2: ["CC6.8"]
#     nist-800-53-r5: ["CM-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.19"]
package mcpsec.checks.img_005

import rego.v1

tools := {"usr/bin/curl": "curl", "bin/curl": "curl", "usr/bin/wget": "wget", "bin/wget": "wget", "usr/local/bin/curl": "curl"}

found := {name | some f in input.files; name := tools[f.path]}

deny contains {"msg": sprintf("download tool(s) in the image: %s", [concat(", ", sort(found))]), "path": "files"} if {
	count(found) > 0
}
