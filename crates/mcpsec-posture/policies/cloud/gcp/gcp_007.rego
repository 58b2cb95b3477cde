# METADATA
# title: "VM uses the default service account with full API access"
# description: "The Compute Engine default service account has Editor on the project; with the cloud-platform scope any process on the VM can use it."
# custom:
#   id: GCP-007
#   severity: high
#   input: gcp
#   selector: ["compute.googleapis.com/Instance"]
#   remediation: "Run the VM as a dedicated, least-privileged service account."
#   frameworks:
#     cis-gcp: ["4.2"]
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.gcp_007

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("instance %s runs as the default service account with full access", [object.get(gcp.d, "name", "")]), "path": sprintf("resource.data.serviceAccounts[%d]", [i])} if {
	some i, sa in gcp.coll(object.get(gcp.d, "serviceAccounts", []))
	endswith(object.get(sa, "email", ""), "-compute@developer.gserviceaccount.com")
	"https://www.googleapis.com/auth/cloud-platform" in gcp.coll(object.get(sa, "scopes", []))
}
