# METADATA
# title: "Bucket access logging disabled"
# description: "Usage logs record who accessed objects."
# custom:
#   id: GCP-003
#   severity: low
#   input: gcp
#   selector: ["storage.googleapis.com/Bucket"]
#   remediation: "Configure a log bucket (`logging.logBucket`), or Data Access audit logs."
#   frameworks:
#     gdpr: ["Art.33(1)"]
#     iso27001-2022: ["A.8.15"]
#     nist-800-53-r5: ["AU-2", "AU-12"]
#     pci-dss-4.0: ["10.2.1"]
#     soc2: ["CC7.2"]
package mcpsec.checks.gcp_003

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("bucket %s has no access logging", [object.get(gcp.d, "name", input.name)]), "path": "resource.data"} if {
	not is_string(object.get(object.get(gcp.d, "logging", {}), "logBucket", null))
}
