# METADATA
# title: Deprecated MAINTAINER
# description: MAINTAINER is deprecated.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-015, severity: low, input: dockerfile, remediation: Use `LABEL org.opencontainers.image.authors=...`.}
package mcpsec.checks.dkr_015

import rego.v1

deny contains {"msg": "MAINTAINER is deprecated; use a LABEL", "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd == "MAINTAINER"
}
