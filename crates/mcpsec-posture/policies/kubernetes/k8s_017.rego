# METADATA
# title: Image tag mutable or missing
# description: 'An image without a tag, or tagged `latest`, changes under you: deployments are not reproducible and can pick up a malicious push.'
# related_resources: ['https://kubernetes.io/docs/concepts/containers/images/#image-names']
# custom:
#   id: K8S-017
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Pin images to a version tag, better to a digest (`image@sha256:...`).
package mcpsec.checks.k8s_017

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q uses image %q without a fixed tag or digest", [x.name, x.c.image]), "path": sprintf("%s.image", [x.path])} if {
	some x in k8s.containers
	k8s.image_digest(x.c.image) == ""
	k8s.image_tag(x.c.image) in {"", "latest"}
}
