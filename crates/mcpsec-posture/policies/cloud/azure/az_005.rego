# METADATA
# title: "SQL server public network access enabled"
# description: "The server's public endpoint is reachable; firewall rules are the only barrier."
# custom:
#   id: AZ-005
#   severity: medium
#   input: azure
#   selector: ["microsoft.sql/servers"]
#   remediation: "Disable public network access and use private endpoints."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.az_005

import rego.v1

import data.lib.azure as az

deny contains {"msg": sprintf("SQL server %s allows public network access", [input.name]), "path": "properties.publicNetworkAccess"} if {
	input.publicNetworkAccess == "Enabled"
}
