# METADATA
# title: Image pull policy not Always
# description: With a tag that can be re-pushed and `imagePullPolicy` other than Always, nodes may run a stale or tampered cached image.
# related_resources: ['https://kubernetes.io/docs/concepts/containers/images/#updating-images']
# custom:
#   id: K8S-018
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `imagePullPolicy: Always`, or pin the image by digest.'
package mcpsec.checks.k8s_018

import rego.v1

import data.lib.k8s

policy(x) := x.c.imagePullPolicy

policy(x) := "Always" if {
	not x.c.imagePullPolicy
	k8s.image_tag(x.c.image) in {"", "latest"}
}

policy(x) := "IfNotPresent" if {
	not x.c.imagePullPolicy
	not k8s.image_tag(x.c.image) in {"", "latest"}
}

deny contains {"msg": sprintf("container %q pulls image %q with policy %s", [x.name, x.c.image, policy(x)]), "path": sprintf("%s.image", [x.path])} if {
	some x in k8s.containers
	k8s.image_digest(x.c.image) == ""
	policy(x) != "Always"
}
