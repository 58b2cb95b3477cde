# METADATA
# title: "Image tag mutable or missing"
# description: "An image without a tag or with `latest` changes under the pipeline; builds are not reproducible and a compromised tag is pulled silently."
# custom:
#   id: GL-001
#   severity: medium
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Pin images to a version tag or, better, a digest (`image: alpine:3.20@sha256:...`)."
#   frameworks:
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.25"]
#     nist-800-53-r5: ["SI-7"]
#     pci-dss-4.0: ["6.3.3"]
#     soc2: ["CC8.1"]
package mcpsec.checks.gl_001

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": sprintf("image %q has no fixed tag", [im.image]), "path": im.path} if {
	some im in gl.images
	is_string(im.image)
	not contains(im.image, "$")
	not contains(im.image, "@")
	gl.image_tag(im.image) in {"", "latest"}
}
