# METADATA
# title: Unsecure workflow commands enabled
# description: ACTIONS_ALLOW_UNSECURE_COMMANDS re-enables `set-env`/`add-path`, which let any log output inject environment variables.
# related_resources: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions']
# custom: {id: GHA-005, severity: high, input: github-actions, remediation: Remove ACTIONS_ALLOW_UNSECURE_COMMANDS; use $GITHUB_ENV and $GITHUB_PATH.}
package mcpsec.checks.gha_005

import rego.v1

steps contains {"s": s, "job": j, "path": sprintf("jobs.%s.steps[%d]", [j, i])} if {
	some j, job in input.jobs
	is_array(job.steps)
	some i, s in job.steps
	is_object(s)
}

envs contains {"env": input.env, "path": "env"} if input.env

envs contains {"env": job.env, "path": sprintf("jobs.%s.env", [j])} if {
	some j, job in input.jobs
	job.env
}

envs contains {"env": s.s.env, "path": sprintf("%s.env", [s.path])} if {
	some s in steps
	s.s.env
}

deny contains {"msg": "ACTIONS_ALLOW_UNSECURE_COMMANDS is enabled", "path": e.path} if {
	some e in envs
	is_object(e.env)
	lower(sprintf("%v", [e.env.ACTIONS_ALLOW_UNSECURE_COMMANDS])) == "true"
}
