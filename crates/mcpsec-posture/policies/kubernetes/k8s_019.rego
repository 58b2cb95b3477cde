# METADATA
# title: hostPath volume
# description: hostPath volumes expose the node's filesystem to the pod; the baseline Pod Security Standard forbids them.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-019
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Use persistent volumes, emptyDir, ConfigMaps or Secrets instead of hostPath.
package mcpsec.checks.k8s_019

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("volume %q mounts host path %q", [object.get(v.v, "name", ""), object.get(v.v.hostPath, "path", "")]), "path": sprintf("%s.hostPath", [v.path])} if {
	some v in k8s.volumes
	v.v.hostPath
}
