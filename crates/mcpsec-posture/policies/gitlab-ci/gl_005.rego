# METADATA
# title: "Docker-in-Docker without TLS"
# description: "`DOCKER_TLS_CERTDIR: \"\"` makes the dind daemon listen without TLS on the job network; other containers there can drive it."
# custom:
#   id: GL-005
#   severity: medium
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Keep the default `DOCKER_TLS_CERTDIR: \"/certs\"` and talk to the daemon over TLS on port 2376."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.gl_005

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": "Docker-in-Docker TLS is disabled (DOCKER_TLS_CERTDIR is empty)", "path": v.path} if {
	some v in gl.variables
	v.name == "DOCKER_TLS_CERTDIR"
	v.value == ""
}
