# METADATA
# title: "Image runs as root"
# description: "The image configuration has no User, or User is root/0: the container's processes run as root unless the runtime overrides it."
# custom:
#   id: IMG-001
#   severity: high
#   input: container-image
#   remediation: "Create an unprivileged user and set it last (`USER 10001`), or build on a base image that does."
#   frameworks:
#     soc2: ["CC6.1"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.2"]
package mcpsec.checks.img_001

import rego.v1

user := trim_space(object.get(input.config, "user", ""))

deny contains {"msg": "the image sets no USER: it runs as root", "path": "config.user"} if {
	input.config.present
	user == ""
}

deny contains {"msg": sprintf("the image runs as %q", [user]), "path": "config.user"} if {
	split(user, ":")[0] in {"root", "0"}
}
