# METADATA
# title: "Package manager left in the image"
# description: "The final image still has an OS package manager (apt, dpkg, apk, yum, dnf, rpm, zypper): an attacker in the container can install tools, and the image is larger and has more to patch."
# custom:
#   id: IMG-004
#   severity: low
#   input: container-image
#   remediation: "Use a minimal or distroless runtime base and copy only the application into it from a build stage."
#   frameworks:
#     soc2: ["CC6.8"]
#     nist-800-53-r5: ["CM-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.19"]
package mcpsec.checks.img_004

import rego.v1

managers := {
	"usr/bin/apt": "apt", "usr/bin/apt-get": "apt", "usr/bin/dpkg": "dpkg", "bin/dpkg": "dpkg",
	"sbin/apk": "apk", "usr/bin/yum": "yum", "usr/bin/dnf": "dnf", "usr/bin/microdnf": "microdnf",
	"bin/rpm": "rpm", "usr/bin/rpm": "rpm", "usr/bin/zypper": "zypper", "usr/bin/pacman": "pacman",
}

found := {name | some f in input.files; name := managers[f.path]}

deny contains {"msg": sprintf("package manager(s) in the image: %s", [concat(", ", sort(found))]), "path": "files"} if {
	count(found) > 0
}
