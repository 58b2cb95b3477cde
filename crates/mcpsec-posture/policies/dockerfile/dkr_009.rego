# METADATA
# title: APT packages not version-pinned
# description: Unpinned packages make builds non-reproducible and can silently pull a compromised update.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-009, severity: low, input: dockerfile, remediation: 'Pin versions: `apt-get install pkg=1.2.3`.'}
package mcpsec.checks.dkr_009

import rego.v1

runs contains {"n": n, "i": i, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

segments(v) := regex.split(`&&|;|\|\|`, v)

deny contains {"msg": sprintf("apt package %q is not pinned to a version", [pkg]), "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	some seg in segments(r.v)
	regex.match(`\bapt(-get)?\s+(-\S+\s+)*install\b`, seg)
	words := split(trim_space(regex.replace(seg, `\s+`, " ")), " ")
	some k, w in words
	w == "install"
	some j, pkg in words
	j > k
	not startswith(pkg, "-")
	not contains(pkg, "=")
	not contains(pkg, "$")
	pkg != ""
	not endswith(pkg, ".deb")
}
