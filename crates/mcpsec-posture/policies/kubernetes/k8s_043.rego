# METADATA
# title: "Process namespace shared between containers"
# description: "With `shareProcessNamespace`, every container sees and can signal the others' processes and read their /proc (environment, files)."
# custom:
#   id: K8S-043
#   severity: medium
#   input: kubernetes
#   selector: ["workload"]
#   remediation: "Remove `shareProcessNamespace: true` unless a debugging sidecar really needs it."
#   frameworks:
#     gdpr: ["Art.25(1)"]
#     iso27001-2022: ["A.8.9"]
#     nist-800-53-r5: ["CM-6"]
#     pci-dss-4.0: ["2.2.5"]
#     soc2: ["CC7.1"]
package mcpsec.checks.k8s_043

import rego.v1

import data.lib.k8s

deny contains {"msg": "pod shares its process namespace between containers", "path": sprintf("%s.shareProcessNamespace", [k8s.pod_spec_path])} if {
	k8s.pod_spec.shareProcessNamespace == true
}
