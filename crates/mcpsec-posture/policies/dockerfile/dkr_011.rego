# METADATA
# title: SSH port exposed
# description: Exposing port 22 suggests an SSH daemon in the container, an unneeded remote entry point.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-011, severity: low, input: dockerfile, remediation: Remove `EXPOSE 22` and the SSH server; use `kubectl exec`/`docker exec`.}
package mcpsec.checks.dkr_011

import rego.v1

deny contains {"msg": "EXPOSE 22 (SSH)", "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd == "EXPOSE"
	some a in i.args
	split(a, "/")[0] == "22"
}
