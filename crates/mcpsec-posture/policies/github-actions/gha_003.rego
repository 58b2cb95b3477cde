# METADATA
# title: Script injection from untrusted event data
# description: '`${{ github.event... }}` fields controlled by outsiders (titles, bodies, branch names, commit messages) are pasted into the shell script before it runs.'
# related_resources: ['https://securitylab.github.com/resources/github-actions-untrusted-input/']
# custom: {id: GHA-003, severity: high, input: github-actions, remediation: 'Pass the value through an environment variable (`env: TITLE: ${{ ... }}`) and use "$TITLE".'}
package mcpsec.checks.gha_003

import rego.v1

steps contains {"s": s, "job": j, "path": sprintf("jobs.%s.steps[%d]", [j, i])} if {
	some j, job in input.jobs
	is_array(job.steps)
	some i, s in job.steps
	is_object(s)
}

untrusted := `\$\{\{[^}]*(github\.event\.(issue\.(title|body)|pull_request\.(title|body|head\.(ref|label))|comment\.body|review\.body|review_comment\.body|pages\.[^}]*\.page_name|commits\.[^}]*\.(message|author\.(email|name))|head_commit\.(message|author\.(email|name))|discussion\.(title|body)|workflow_run\.(head_branch|head_commit\.message|display_title))|github\.head_ref)`

deny contains {"msg": "run script interpolates untrusted event data", "path": sprintf("%s.run", [s.path])} if {
	some s in steps
	regex.match(untrusted, object.get(s.s, "run", ""))
}

deny contains {"msg": "github-script interpolates untrusted event data", "path": sprintf("%s.with.script", [s.path])} if {
	some s in steps
	startswith(lower(object.get(s.s, "uses", "")), "actions/github-script")
	regex.match(untrusted, object.get(object.get(s.s, "with", {}), "script", ""))
}
