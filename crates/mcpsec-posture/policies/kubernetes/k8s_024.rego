# METADATA
# title: Liveness probe missing
# description: Without a livenessProbe Kubernetes cannot restart a hung container.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-024
#   severity: low
#   input: kubernetes
#   selector: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   remediation: Define `livenessProbe` on every container.
package mcpsec.checks.k8s_024

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has no livenessProbe", [x.name]), "path": x.path} if {
	some x in k8s.app_containers
	not x.c.livenessProbe
}
