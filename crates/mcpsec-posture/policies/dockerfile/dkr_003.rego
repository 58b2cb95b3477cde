# METADATA
# title: Base image without a fixed tag
# description: FROM without a tag, or with `latest`, builds on whatever the registry serves today.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-003, severity: medium, input: dockerfile, remediation: Pin the base image to a version tag or a digest.}
package mcpsec.checks.dkr_003

import rego.v1

deny contains {"msg": sprintf("base image %q has no fixed tag", [s.reference]), "path": sprintf("stages[%d]", [s.index])} if {
	some s in input.stages
	not s.from_stage
	lower(s.image) != "scratch"
	not contains(s.reference, "$")
	s.digest == null
	s.tag in {null, "latest"}
}
