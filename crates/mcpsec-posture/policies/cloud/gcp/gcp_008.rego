# METADATA
# title: "Serial port access enabled"
# description: "The interactive serial console accepts connections from any IP address that passes IAM."
# custom:
#   id: GCP-008
#   severity: medium
#   input: gcp
#   selector: ["compute.googleapis.com/Instance"]
#   remediation: "Remove `serial-port-enable` from the instance metadata."
#   frameworks:
#     cis-gcp: ["4.5"]
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.9"]
#     nist-800-53-r5: ["CM-6"]
#     pci-dss-4.0: ["2.2.5"]
#     soc2: ["CC7.1"]
package mcpsec.checks.gcp_008

import rego.v1

import data.lib.gcp

deny contains {"msg": sprintf("instance %s enables the serial port", [object.get(gcp.d, "name", "")]), "path": "resource.data.metadata"} if {
	some item in gcp.coll(object.get(object.get(gcp.d, "metadata", {}), "items", []))
	item.key == "serial-port-enable"
	lower(sprintf("%v", [item.value])) in {"true", "1"}
}
