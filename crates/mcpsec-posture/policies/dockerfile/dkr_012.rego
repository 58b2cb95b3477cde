# METADATA
# title: sudo in RUN
# description: sudo in a Dockerfile means sudo is installed in the image, handing root to any process that can use it.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-012, severity: medium, input: dockerfile, remediation: Run privileged steps before switching USER; do not install sudo.}
package mcpsec.checks.dkr_012

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "RUN uses sudo", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`(^|[;&|\s])sudo\s`, r.v)
}
