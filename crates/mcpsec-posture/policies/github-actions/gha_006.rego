# METADATA
# title: No explicit token permissions
# description: Without a `permissions` block the GITHUB_TOKEN gets the repository default, often read-write on everything.
# related_resources: ['https://docs.github.com/en/actions/security-for-github-actions/security-guides/security-hardening-for-github-actions']
# custom: {id: GHA-006, severity: low, input: github-actions, remediation: 'Add a top-level `permissions:` block (e.g. `contents: read`).'}
package mcpsec.checks.gha_006

import rego.v1

deny contains {"msg": "no permissions block: the token gets the repository default", "path": ""} if {
	not input.permissions
	some _, job in input.jobs
	not job.permissions
}
