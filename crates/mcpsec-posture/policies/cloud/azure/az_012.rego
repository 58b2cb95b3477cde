# METADATA
# title: "AKS cluster without Kubernetes RBAC"
# description: "Without RBAC every authenticated user is effectively cluster admin."
# custom:
#   id: AZ-012
#   severity: high
#   input: azure
#   selector: ["microsoft.containerservice/managedclusters"]
#   remediation: "Create the cluster with Kubernetes RBAC (and Entra ID integration) enabled."
#   frameworks:
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.az_012

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("AKS cluster %s has RBAC disabled", [input.name]), "path": "properties.enableRBAC"} if {
	input.enableRBAC == false
}
