# METADATA
# title: "Cloud SQL open to the whole internet"
# description: "An authorized network of 0.0.0.0/0 lets any address connect to the database's public IP."
# custom:
#   id: GCP-011
#   severity: critical
#   input: gcp
#   selector: ["sqladmin.googleapis.com/Instance"]
#   remediation: "Remove the 0.0.0.0/0 authorized network; use private IP or the Cloud SQL Auth Proxy."
#   frameworks:
#     cis-gcp: ["6.5"]
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.gcp_011

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("Cloud SQL instance %s authorizes %s", [object.get(gcp.d, "name", ""), n.value]), "path": sprintf("resource.data.settings.ipConfiguration.authorizedNetworks[%d]", [i])} if {
	some i, n in gcp.coll(object.get(object.get(object.get(gcp.d, "settings", {}), "ipConfiguration", {}), "authorizedNetworks", []))
	n.value in gcp.world
}
