# METADATA
# title: "Bucket versioning disabled"
# description: "Overwritten or deleted objects cannot be recovered."
# custom:
#   id: GCP-002
#   severity: low
#   input: gcp
#   selector: ["storage.googleapis.com/Bucket"]
#   remediation: "Enable object versioning (with lifecycle rules for old versions)."
#   frameworks:
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.gcp_002

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("bucket %s has versioning disabled", [object.get(gcp.d, "name", input.name)]), "path": "resource.data.versioning"} if {
	not gcp.d.versioning.enabled == true
}
