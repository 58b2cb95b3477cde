# METADATA
# title: Package index update alone
# description: '`apt-get update` in its own RUN is cached as a layer; later installs use a stale index.'
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-007, severity: low, input: dockerfile, remediation: Combine `apt-get update && apt-get install ...` in one RUN.}
package mcpsec.checks.dkr_007

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "package index update without install in the same RUN", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`\b(apt-get|apt|yum|dnf|apk|zypper)\s+(-\S+\s+)*(update|makecache)\b`, r.v)
	not regex.match(`\b(install|add|upgrade)\b`, r.v)
}
