# METADATA
# title: Seccomp profile not set
# description: Without a seccomp profile (RuntimeDefault or Localhost) containers can call every syscall, widening the kernel attack surface.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-026
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: 'Set `securityContext.seccompProfile.type: RuntimeDefault` on the pod.'
package mcpsec.checks.k8s_026

import rego.v1

import data.lib.k8s

good_types := {"RuntimeDefault", "Localhost"}

pod_seccomp if k8s.pod_sc.seccompProfile.type in good_types

pod_seccomp if {
	a := object.get(object.get(k8s.pod_meta, "annotations", {}), "seccomp.security.alpha.kubernetes.io/pod", "")
	k8s.good_seccomp_annotation(a)
}

pod_seccomp if {
	a := object.get(object.get(input.metadata, "annotations", {}), "seccomp.security.alpha.kubernetes.io/pod", "")
	k8s.good_seccomp_annotation(a)
}

deny contains {"msg": sprintf("container %q runs without a seccomp profile", [x.name]), "path": sprintf("%s.securityContext", [k8s.pod_spec_path])} if {
	not pod_seccomp
	some x in k8s.containers
	not k8s.container_sc(x).seccompProfile.type in good_types
}

deny contains {"msg": sprintf("container %q sets seccomp Unconfined", [x.name]), "path": sprintf("%s.securityContext.seccompProfile", [x.path])} if {
	some x in k8s.containers
	k8s.container_sc(x).seccompProfile.type == "Unconfined"
}
