# METADATA
# title: "VM without Shielded VM secure boot"
# description: "Secure boot stops unsigned boot components and rootkits."
# custom:
#   id: GCP-010
#   severity: low
#   input: gcp
#   selector: ["compute.googleapis.com/Instance"]
#   remediation: "Enable Shielded VM (secure boot, vTPM, integrity monitoring)."
#   frameworks:
#     cis-gcp: ["4.8"]
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.9"]
#     nist-800-53-r5: ["CM-6"]
#     pci-dss-4.0: ["2.2.5"]
#     soc2: ["CC7.1"]
package mcpsec.checks.gcp_010

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("instance %s has secure boot off", [object.get(gcp.d, "name", "")]), "path": "resource.data.shieldedInstanceConfig"} if {
	not gcp.d.shieldedInstanceConfig.enableSecureBoot == true
}
