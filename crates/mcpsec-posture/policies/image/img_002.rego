# METADATA
# title: "Secrets in image files"
# description: "A file of the image holds a private key, cloud access key, registry token or password (.env, .npmrc, .pypirc, .netrc, .git-credentials, ~/.aws/credentials, ~/.docker/config.json, SSH keys, *.pem/*.key). Anyone who can pull the image has it, in every layer that carries it."
# custom:
#   id: IMG-002
#   severity: critical
#   input: container-image
#   remediation: "Remove the file from every layer (use build secrets, `RUN --mount=type=secret`, or a multi-stage build), and rotate the exposed secret."
#   frameworks:
#     soc2: ["CC6.1"]
#     nist-800-53-r5: ["IA-5", "SC-28"]
#     pci-dss-4.0: ["8.6.3"]
#     iso27001-2022: ["A.5.17"]
package mcpsec.checks.img_002

import rego.v1

deny contains {"msg": sprintf("%s in /%s line %d (%s)", [s.kind, s.path, s.line, s.hint])} if {
	some s in input.secrets
}
