# METADATA
# title: "Package manager caches left in the image"
# description: "Downloaded packages and indexes (pip cache, apt archives and lists, apk cache, npm cache, yum/dnf cache) stay in the final image: larger images, stale package metadata, and sometimes private index URLs."
# custom:
#   id: IMG-009
#   severity: low
#   input: container-image
#   remediation: "Clean caches in the layer that fills them (`pip install --no-cache-dir`, `rm -rf /var/lib/apt/lists/*`, `apk add --no-cache`, `npm cache clean --force`) or use a cache mount."
#   frameworks:
#     soc2: ["CC6.8"]
#     nist-800-53-r5: ["CM-7"]
#     pci-dss-4.0: ["2.2.5"]
#     iso27001-2022: ["A.8.19"]
package mcpsec.checks.img_009

import rego.v1

caches := {
	"root/.cache/pip/": "pip cache",
	"var/cache/apt/archives/": "apt archives",
	"var/lib/apt/lists/": "apt lists",
	"var/cache/apk/": "apk cache",
	"root/.npm/_cacache/": "npm cache",
	"var/cache/yum/": "yum cache",
	"var/cache/dnf/": "dnf cache",
}

# Bookkeeping files that stay even in cleaned images.
ignored(p) if endswith(p, "/lock")

ignored(p) if contains(p, "/partial/")

found[name] contains f.path if {
	some f in input.files
	some prefix, name in caches
	startswith(f.path, prefix)
	not ignored(f.path)
}

deny contains {"msg": sprintf("%s left in the image (%d files)", [name, count(paths)]), "path": "files"} if {
	some name, paths in found
}
