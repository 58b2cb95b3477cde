# METADATA
# title: Remote script piped to a shell
# description: '`curl ... | sh` in a workflow runs unverified code with the job''s token and secrets.'
# related_resources: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions']
# custom: {id: GHA-007, severity: medium, input: github-actions, remediation: 'Download, verify a checksum or signature, then run; or use a pinned action.'}
package mcpsec.checks.gha_007

import rego.v1

steps contains {"s": s, "job": j, "path": sprintf("jobs.%s.steps[%d]", [j, i])} if {
	some j, job in input.jobs
	is_array(job.steps)
	some i, s in job.steps
	is_object(s)
}

deny contains {"msg": "run pipes a download into a shell", "path": sprintf("%s.run", [s.path])} if {
	some s in steps
	regex.match(`(curl|wget)[^|;&\n]*\|\s*(sudo\s+)?(ba|z|da)?sh\b`, object.get(s.s, "run", ""))
}
