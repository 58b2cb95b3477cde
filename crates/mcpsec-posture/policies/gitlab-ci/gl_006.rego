# METADATA
# title: "Debug tracing enabled"
# description: "`CI_DEBUG_TRACE` / `CI_DEBUG_SERVICES` print every command and variable, including masked secrets, into the job log."
# custom:
#   id: GL-006
#   severity: medium
#   input: gitlab-ci
#   selector: ["pipeline"]
#   remediation: "Remove `CI_DEBUG_TRACE` from the committed pipeline; enable it only for a single manual run."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.5.17"]
#     nist-800-53-r5: ["IA-5"]
#     pci-dss-4.0: ["8.3.2"]
#     soc2: ["CC6.1"]
package mcpsec.checks.gl_006

import rego.v1

import data.lib.gitlab as gl

deny contains {"msg": sprintf("%s is enabled", [v.name]), "path": v.path} if {
	some v in gl.variables
	v.name in {"CI_DEBUG_TRACE", "CI_DEBUG_SERVICES"}
	gl.truthy(v.value)
}
