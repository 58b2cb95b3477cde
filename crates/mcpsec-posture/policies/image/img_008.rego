# METADATA
# title: "Remote URL added in the image history"
# description: "A layer was built by `ADD` of a remote URL: the content is fetched unverified at build time and is not reproducible."
# custom:
#   id: IMG-008
#   severity: medium
#   input: container-image
#   remediation: "Download with a checksum check (`ADD --checksum=` or curl + sha256sum in a build stage) or COPY a vendored file."
#   frameworks:
#     soc2: ["CC6.8"]
#     nist-800-53-r5: ["SI-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.19"]
package mcpsec.checks.img_008

import rego.v1

deny contains {"msg": sprintf("history step %d adds a remote URL", [i + 1]), "path": "config.history"} if {
	some i, h in input.config.history
	regex.match(`(?i)(^|\s|\))ADD\s+(--\S+\s+)*https?://`, h.created_by)
	not regex.match(`(?i)ADD\s+(--\S+\s+)*--checksum=`, h.created_by)
}
