# METADATA
# title: "Remote or unpinned include"
# description: "`include: remote:` and project includes without `ref` pull pipeline definitions that can change under you; whoever controls them runs code in your pipeline."
# custom:
#   id: GL-004
#   severity: medium
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Include local files, or project files pinned with `ref:` to a tag or commit SHA."
#   frameworks:
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.25"]
#     nist-800-53-r5: ["SI-7"]
#     pci-dss-4.0: ["6.3.3"]
#     soc2: ["CC8.1"]
package mcpsec.checks.gl_004

import rego.v1

import data.lib.gitlab as gl

includes := [i | some i in gl.coll(input.include)] if is_array(input.include)
else := [input.include] if input.include
else := []

remote(i) if {
	is_string(i)
	regex.match(`^https?://`, i)
}

remote(i) if i.remote

remote(i) if {
	i.project
	not i.ref
}

deny contains {"msg": "pipeline includes a remote or unpinned file", "path": "include"} if {
	some i in includes
	remote(i)
}
