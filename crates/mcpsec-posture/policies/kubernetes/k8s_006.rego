# METADATA
# title: Container may run as root
# description: 'Neither `runAsNonRoot: true` nor a non-zero `runAsUser` is set for the container or its pod, so it runs as the image''s user, often root.'
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-006
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `runAsNonRoot: true` (and a non-zero `runAsUser`) in the pod or container security context.'
package mcpsec.checks.k8s_006

import rego.v1

import data.lib.k8s

non_root(x) if k8s.sc_value(x, "runAsNonRoot") == true

non_root(x) if k8s.sc_value(x, "runAsUser") > 0

deny contains {"msg": sprintf("container %q may run as root: set runAsNonRoot: true or a non-zero runAsUser", [x.name]), "path": k8s.sc_path(x, "runAsNonRoot")} if {
	some x in k8s.containers
	not non_root(x)
}
