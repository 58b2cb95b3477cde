# METADATA
# title: No HEALTHCHECK
# description: Without a HEALTHCHECK the runtime cannot tell a hung container from a healthy one.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-010, severity: low, input: dockerfile, remediation: Add a HEALTHCHECK instruction (or rely on orchestrator probes and document it).}
package mcpsec.checks.dkr_010

import rego.v1

deny contains "no HEALTHCHECK instruction" if {
	count(input.instructions) > 0
	not has_healthcheck
}

has_healthcheck if {
	some i in input.instructions
	i.cmd == "HEALTHCHECK"
	upper(trim_space(i.value)) != "NONE"
}
