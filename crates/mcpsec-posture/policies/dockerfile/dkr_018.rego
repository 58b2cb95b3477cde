# METADATA
# title: "TLS verification disabled in RUN"
# description: "`curl -k`, `wget --no-check-certificate`, `pip --trusted-host`, `npm config set strict-ssl false` and `git -c http.sslVerify=false` accept any certificate: a network attacker can replace what the build downloads."
# custom:
#   id: DKR-018
#   severity: medium
#   input: dockerfile
#   selector: []
#   remediation: "Remove the flag; add the needed CA certificate to the image instead."
#   frameworks:
#     gdpr: ["Art.32(1)(a)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.24"]
#     nist-800-53-r5: ["SC-8"]
#     pci-dss-4.0: ["4.2.1"]
#     soc2: ["CC6.7"]
package mcpsec.checks.dkr_018

import rego.v1

runs contains {"n": n, "v": lower(i.value)} if {
	some n, i in input.instructions
	i.cmd == "RUN"
}

deny contains {"msg": "RUN disables TLS certificate verification", "path": sprintf("instructions[%d]", [r.n])} if {
	some r in runs
	regex.match(`(curl\s(.*\s)?(-k|--insecure)(\s|$))|(--no-check-certificate)|(--trusted-host)|(strict-ssl\s+false)|(sslverify=false)`, r.v)
}
