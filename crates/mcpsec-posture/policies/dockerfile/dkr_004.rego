# METADATA
# title: ADD instead of COPY
# description: ADD fetches URLs and unpacks archives implicitly; COPY does only what it says.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-004, severity: low, input: dockerfile, remediation: Use COPY (and an explicit download step with checksum verification when fetching).}
package mcpsec.checks.dkr_004

import rego.v1

deny contains {"msg": sprintf("ADD %s: use COPY", [i.value]), "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd == "ADD"
}
