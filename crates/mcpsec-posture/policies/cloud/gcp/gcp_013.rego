# METADATA
# title: "Cloud SQL automated backups disabled"
# description: "Without automated backups the database cannot be restored to a recent state."
# custom:
#   id: GCP-013
#   severity: medium
#   input: gcp
#   selector: ["sqladmin.googleapis.com/Instance"]
#   remediation: "Enable automated backups (and point-in-time recovery)."
#   frameworks:
#     cis-gcp: ["6.8"]
#     gdpr: ["Art.32(1)(c)"]
#     iso27001-2022: ["A.8.13"]
#     nist-800-53-r5: ["CP-9"]
#     soc2: ["A1.2"]
package mcpsec.checks.gcp_013

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("Cloud SQL instance %s has automated backups disabled", [object.get(gcp.d, "name", "")]), "path": "resource.data.settings.backupConfiguration"} if {
	not gcp.d.settings.backupConfiguration.enabled == true
}
