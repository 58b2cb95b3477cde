# METADATA
# title: World-writable permissions
# description: chmod 777 lets any user in the container change the files, including executables.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-017, severity: medium, input: dockerfile, remediation: Grant the least permissions needed (e.g. 755 / 644).}
package mcpsec.checks.dkr_017

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "RUN makes files world-writable (chmod 777)", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`chmod\s+(-\S+\s+)*0?777\b`, r.v)
}

deny contains {"msg": "COPY/ADD --chmod=777", "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd in {"COPY", "ADD"}
	some f in i.flags
	regex.match(`^--chmod=0?777$`, f)
}
