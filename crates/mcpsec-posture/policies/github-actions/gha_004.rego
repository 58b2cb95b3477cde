# METADATA
# title: Workflow token has write-all permissions
# description: '`permissions: write-all` gives the GITHUB_TOKEN write access to everything in the repository.'
# related_resources: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions']
# custom: {id: GHA-004, severity: high, input: github-actions, remediation: 'Declare only the scopes the job needs (`contents: read`, ...).'}
package mcpsec.checks.gha_004

import rego.v1

deny contains {"msg": "workflow permissions: write-all", "path": "permissions"} if input.permissions == "write-all"

deny contains {"msg": sprintf("job %q has permissions: write-all", [j]), "path": sprintf("jobs.%s.permissions", [j])} if {
	some j, job in input.jobs
	job.permissions == "write-all"
}
