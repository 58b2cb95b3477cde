# METADATA
# title: Custom SELinux type
# description: Setting an SELinux type other than the container types, or a custom user/role, can escape confinement; the baseline standard forbids it.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-041
#   severity: medium
#   input: kubernetes
#   selector: [workload]
#   remediation: Remove `seLinuxOptions.type`, `user` and `role`.
package mcpsec.checks.k8s_041

import rego.v1

import data.lib.k8s

allowed := {"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"}

deny contains {"msg": sprintf("container %q sets SELinux options %v", [x.name, o]), "path": k8s.sc_path(x, "seLinuxOptions")} if {
	some x in k8s.containers
	o := k8s.sc_value(x, "seLinuxOptions")
	bad(o)
}

bad(o) if not object.get(o, "type", "") in allowed

bad(o) if object.get(o, "user", "") != ""

bad(o) if object.get(o, "role", "") != ""
