# METADATA
# title: apt instead of apt-get
# description: '`apt` has no stable command-line interface for scripts.'
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-016, severity: low, input: dockerfile, remediation: Use `apt-get` (or `apt-cache`) in Dockerfiles.}
package mcpsec.checks.dkr_016

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "RUN uses apt; use apt-get in scripts", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`(^|[;&|\s])apt\s+(-\S+\s+)*(install|update|upgrade|remove|purge|dist-upgrade|full-upgrade|autoremove)\b`, r.v)
}
