# METADATA
# title: "Bucket without uniform bucket-level access"
# description: "Per-object ACLs make access hard to review and easy to open by mistake."
# custom:
#   id: GCP-001
#   severity: medium
#   input: gcp
#   selector: ["storage.googleapis.com/Bucket"]
#   remediation: "Enable uniform bucket-level access and manage access with IAM only."
#   frameworks:
#     cis-gcp: ["5.2"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.gcp_001

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("bucket %s does not use uniform bucket-level access", [object.get(gcp.d, "name", input.name)]), "path": "resource.data.iamConfiguration"} if {
	not gcp.d.iamConfiguration.uniformBucketLevelAccess.enabled == true
}
