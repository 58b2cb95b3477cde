# METADATA
# title: "Compilers or build tools left in the image"
# description: "A compiler or build tool (gcc, g++, cc, clang, make, cmake, go, rustc/cargo) is in the final image: build tooling belongs in a build stage."
# custom:
#   id: IMG-006
#   severity: medium
#   input: container-image
#   remediation: "Build in a separate stage and copy only the artifacts into a minimal runtime image."
#   frameworks:
#     soc2: ["CC6.8"]
#     nist-800-53-r5: ["CM-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.19"]
package mcpsec.checks.img_006

import rego.v1

tools := {
	"usr/bin/gcc": "gcc", "usr/bin/g++": "g++", "usr/bin/cc": "cc", "usr/bin/c++": "c++",
	"usr/bin/clang": "clang", "usr/bin/make": "make", "usr/bin/cmake": "cmake",
	"usr/local/go/bin/go": "go", "usr/bin/go": "go", "usr/local/cargo/bin/cargo": "cargo",
	"usr/local/cargo/bin/rustc": "rustc", "usr/bin/rustc": "rustc",
}

found := {name | some f in input.files; name := tools[f.path]}

deny contains {"msg": sprintf("build tool(s) in the image: %s", [concat(", ", sort(found))]), "path": "files"} if {
	count(found) > 0
}
