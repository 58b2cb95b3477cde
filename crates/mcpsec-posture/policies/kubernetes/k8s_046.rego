# METADATA
# title: "Service with external IPs"
# description: "`spec.externalIPs` lets whoever can create Services intercept traffic to any IP (CVE-2020-8554)."
# custom:
#   id: K8S-046
#   severity: medium
#   input: kubernetes
#   selector: ["Service"]
#   remediation: "Do not use externalIPs; use a LoadBalancer or Ingress, and block the field with an admission policy."
#   frameworks:
#     gdpr: ["Art.32(1)(b)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.20"]
#     nist-800-53-r5: ["SC-7"]
#     pci-dss-4.0: ["1.3.1"]
#     soc2: ["CC6.6"]
package mcpsec.checks.k8s_046

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("Service %q sets externalIPs", [k8s.name]), "path": "spec.externalIPs"} if {
	count(k8s.coll(input.spec.externalIPs)) > 0
}
