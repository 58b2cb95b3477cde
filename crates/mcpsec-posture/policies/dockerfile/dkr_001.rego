# METADATA
# title: No USER in the final stage
# description: Without a USER instruction the container runs as root.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-001, severity: medium, input: dockerfile, remediation: Add `USER <non-root uid>` to the final stage.}
package mcpsec.checks.dkr_001

import rego.v1

final := input.stages[count(input.stages) - 1]

deny contains {"msg": "the final stage sets no USER: the container runs as root", "path": sprintf("stages[%d]", [final.index])} if {
	count(input.stages) > 0
	not any_user
}

any_user if {
	some i in final.instructions
	i.cmd == "USER"
}
