# METADATA
# title: Third-party action not pinned to a commit
# description: A tag or branch of a third-party action can be moved to malicious code (tj-actions/changed-files, 2025); only a full commit SHA is immutable.
# related_resources: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions']
# custom: {id: GHA-001, severity: medium, input: github-actions, remediation: 'Pin third-party actions to a full-length commit SHA (`uses: owner/repo@<40 hex>`).'}
package mcpsec.checks.gha_001

import rego.v1

steps contains {"s": s, "job": j, "path": sprintf("jobs.%s.steps[%d]", [j, i])} if {
	some j, job in input.jobs
	is_array(job.steps)
	some i, s in job.steps
	is_object(s)
}

trusted_owner(u) if startswith(lower(u), "actions/")

trusted_owner(u) if startswith(lower(u), "github/")

uses_refs contains {"u": s.s.uses, "path": sprintf("%s.uses", [s.path])} if {
	some s in steps
	s.s.uses
}

uses_refs contains {"u": job.uses, "path": sprintf("jobs.%s.uses", [j])} if {
	some j, job in input.jobs
	job.uses
}

deny contains {"msg": sprintf("action %q is not pinned to a commit SHA", [x.u]), "path": x.path} if {
	some x in uses_refs
	is_string(x.u)
	not startswith(x.u, "./")
	not startswith(x.u, "docker://")
	not trusted_owner(x.u)
	not regex.match(`@[0-9a-f]{40}$`, x.u)
}
