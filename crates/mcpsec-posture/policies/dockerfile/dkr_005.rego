# METADATA
# title: Remote script piped to a shell
# description: '`curl ... | sh` runs whatever the server returns at build time, unverified.'
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-005, severity: high, input: dockerfile, remediation: 'Download to a file, verify its checksum or signature, then run it.'}
package mcpsec.checks.dkr_005

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "RUN pipes a download into a shell", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`(curl|wget)[^|;&]*\|\s*(sudo\s+)?(-\S+\s+)*(ba|z|da|k)?sh\b`, r.v)
}
