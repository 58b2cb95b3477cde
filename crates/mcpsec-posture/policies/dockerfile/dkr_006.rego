# METADATA
# title: Secret in ENV or ARG
# description: ENV and ARG values are stored in the image metadata and history, visible to anyone who can pull it.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-006, severity: high, input: dockerfile, remediation: Pass secrets with BuildKit secret mounts (`RUN --mount=type=secret`) or at runtime.}
package mcpsec.checks.dkr_006

import rego.v1

pairs(i) := [[k, v] | some a in i.args; contains(a, "="); k := split(a, "=")[0]; v := substring(a, count(k) + 1, -1)] if {
	contains(i.args[0], "=")
}

pairs(i) := [[i.args[0], concat(" ", array.slice(i.args, 1, count(i.args)))]] if {
	not contains(i.args[0], "=")
}

deny contains {"msg": sprintf("%s sets %s to a literal value", [i.cmd, p[0]]), "path": sprintf("instructions[%d]", [n])} if {
	some n, i in input.instructions
	i.cmd in {"ENV", "ARG"}
	count(i.args) > 0
	some p in pairs(i)
	regex.match(`(?i)(passw(or)?d|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|credential)`, p[0])
	v := trim(p[1], "\"'")
	count(v) >= 4
	not startswith(v, "$")
}
