# METADATA
# title: "Remote script piped to a shell"
# description: "`curl ... | sh` runs whatever the server returns at that moment inside the job, with its credentials."
# custom:
#   id: GL-003
#   severity: high
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Download the script, verify its checksum or signature, then run it; or use a pinned package."
#   frameworks:
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.25"]
#     nist-800-53-r5: ["SI-7"]
#     pci-dss-4.0: ["6.3.3"]
#     soc2: ["CC8.1"]
package mcpsec.checks.gl_003

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": "script pipes a download into a shell", "path": l.path} if {
	some l in gl.script_lines
	regex.match(`(curl|wget)[^|;&]*\|\s*(sudo\s+)?(ba|z|da)?sh\b`, l.text)
}
