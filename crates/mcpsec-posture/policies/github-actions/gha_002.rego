# METADATA
# title: pull_request_target checks out the pull request
# description: '`pull_request_target` runs with secrets and a write token; checking out and running the PR''s code hands both to any contributor (''pwn request'').'
# related_resources: ['https://securitylab.github.com/resources/github-actions-preventing-pwn-requests/']
# custom: {id: GHA-002, severity: critical, input: github-actions, remediation: 'Use `pull_request`, or never check out `github.event.pull_request.head` in a `pull_request_target` workflow.'}
package mcpsec.checks.gha_002

import rego.v1

triggers contains t if {
	is_string(input.on)
	t := input.on
}

triggers contains t if {
	is_array(input.on)
	some t in input.on
}

triggers contains t if {
	is_object(input.on)
	some t, _ in input.on
}

steps contains {"s": s, "job": j, "path": sprintf("jobs.%s.steps[%d]", [j, i])} if {
	some j, job in input.jobs
	is_array(job.steps)
	some i, s in job.steps
	is_object(s)
}

deny contains {"msg": "pull_request_target workflow checks out the pull request head", "path": sprintf("%s.with.ref", [s.path])} if {
	"pull_request_target" in triggers
	some s in steps
	startswith(lower(object.get(s.s, "uses", "")), "actions/checkout")
	ref := object.get(object.get(s.s, "with", {}), "ref", "")
	regex.match(`github\.(event\.pull_request\.head\.|head_ref)|refs/pull/`, ref)
}
