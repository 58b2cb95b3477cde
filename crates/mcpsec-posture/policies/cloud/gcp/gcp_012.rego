# METADATA
# title: "Cloud SQL does not require SSL"
# description: "Clients may connect without TLS."
# custom:
#   id: GCP-012
#   severity: medium
#   input: gcp
#   selector: ["sqladmin.googleapis.com/Instance"]
#   remediation: "Set `sslMode` to ENCRYPTED_ONLY or TRUSTED_CLIENT_CERTIFICATE_REQUIRED."
#   frameworks:
#     cis-gcp: ["6.4"]
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.gcp_012

import rego.v1

import data.lib.gcp

ipc := object.get(object.get(gcp.d, "settings", {}), "ipConfiguration", {})

ssl_required if ipc.sslMode in {"ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"}

ssl_required if {
	not ipc.sslMode
	ipc.requireSsl == true
}

deny contains {"msg": sprintf("Cloud SQL instance %s does not require SSL", [object.get(gcp.d, "name", "")]), "path": "resource.data.settings.ipConfiguration"} if {
	not ssl_required
}
