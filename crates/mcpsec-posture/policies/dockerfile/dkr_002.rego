# METADATA
# title: Runs as root
# description: The last USER instruction of the final stage is root.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-002, severity: high, input: dockerfile, remediation: Switch to a non-root user (`USER 10001`) at the end of the Dockerfile.}
package mcpsec.checks.dkr_002

import rego.v1

final := input.stages[count(input.stages) - 1]

users := [i | some i in final.instructions; i.cmd == "USER"]

deny contains {"msg": sprintf("the image runs as %q", [last.value]), "line": last.line} if {
	count(users) > 0
	last := users[count(users) - 1]
	split(trim_space(last.value), ":")[0] in {"root", "0"}
}
