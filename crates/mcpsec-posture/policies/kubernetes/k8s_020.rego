# METADATA
# title: Container runtime socket mounted
# description: Mounting the Docker/containerd/CRI-O socket gives full control of the node's containers, i.e. root on the node.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-020
#   severity: critical
#   input: kubernetes
#   selector: [workload]
#   remediation: Do not mount container runtime sockets into pods.
package mcpsec.checks.k8s_020

import rego.v1

import data.lib.k8s

sockets := {"/var/run/docker.sock", "/run/docker.sock", "/var/run/containerd/containerd.sock", "/run/containerd/containerd.sock", "/var/run/crio/crio.sock", "/run/crio/crio.sock", "/var/run", "/run"}

deny contains {"msg": sprintf("volume %q mounts the container runtime socket %q", [object.get(v.v, "name", ""), v.v.hostPath.path]), "path": sprintf("%s.hostPath.path", [v.path])} if {
	some v in k8s.volumes
	trim_suffix(v.v.hostPath.path, "/") in sockets
}
