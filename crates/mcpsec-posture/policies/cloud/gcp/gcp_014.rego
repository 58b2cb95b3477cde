# METADATA
# title: "GKE legacy ABAC enabled"
# description: "Legacy ABAC grants broad, hard-to-audit permissions alongside RBAC."
# custom:
#   id: GCP-014
#   severity: high
#   input: gcp
#   selector: ["container.googleapis.com/Cluster"]
#   remediation: "Disable legacy authorization and use Kubernetes RBAC."
#   frameworks:
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.gcp_014

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("GKE cluster %s has legacy ABAC enabled", [object.get(gcp.d, "name", "")]), "path": "resource.data.legacyAbac"} if {
	gcp.d.legacyAbac.enabled == true
}
