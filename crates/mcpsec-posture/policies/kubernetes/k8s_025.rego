# METADATA
# title: Readiness probe missing
# description: Without a readinessProbe Kubernetes cannot keep traffic away from a container that is not ready.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-025
#   severity: low
#   input: kubernetes
#   selector: [Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController]
#   remediation: Define `readinessProbe` on every container.
package mcpsec.checks.k8s_025

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q has no readinessProbe", [x.name]), "path": x.path} if {
	some x in k8s.app_containers
	not x.c.readinessProbe
}
