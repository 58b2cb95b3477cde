# METADATA
# title: Relative WORKDIR
# description: A relative WORKDIR depends on the previous one and is easy to get wrong.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-013, severity: low, input: dockerfile, remediation: Use an absolute path in WORKDIR.}
package mcpsec.checks.dkr_013

import rego.v1

deny contains {"msg": sprintf("WORKDIR %q is relative", [i.value]), "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd == "WORKDIR"
	not regex.match(`^["']?(/|[a-zA-Z]:[\\/]|\$)`, trim_space(i.value))
}
