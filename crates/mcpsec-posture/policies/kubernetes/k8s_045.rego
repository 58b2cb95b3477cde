# METADATA
# title: "Container runs with root group"
# description: "`runAsGroup: 0` gives the process the root group, with access to files owned by group 0 on the image and on mounted volumes."
# custom:
#   id: K8S-045
#   severity: medium
#   input: kubernetes
#   selector: ["workload"]
#   remediation: "Set `runAsGroup` to a non-zero group id."
#   frameworks:
#     gdpr: ["Art.25(2)", "Art.5(1)(f)"]
#     iso27001-2022: ["A.8.2"]
#     nist-800-53-r5: ["AC-6"]
#     pci-dss-4.0: ["7.2.1"]
#     soc2: ["CC6.3"]
package mcpsec.checks.k8s_045

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q runs with group 0", [x.name]), "path": k8s.sc_path(x, "runAsGroup")} if {
	some x in k8s.containers
	k8s.sc_value(x, "runAsGroup") == 0
}
