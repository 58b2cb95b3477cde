# METADATA
# title: Duplicate stage alias
# description: Two stages with the same alias make `COPY --from` ambiguous.
# related_resources: ['https://docs.docker.com/build/building/best-practices/']
# custom: {id: DKR-014, severity: low, input: dockerfile, remediation: Give each stage a unique alias.}
package mcpsec.checks.dkr_014

import rego.v1

deny contains {"msg": sprintf("stage alias %q is used more than once", [a]), "path": sprintf("stages[%d]", [s.index])} if {
	some s in input.stages
	is_string(s.alias)
	a := lower(s.alias)
	count([t | some t in input.stages; is_string(t.alias); lower(t.alias) == a]) > 1
}
