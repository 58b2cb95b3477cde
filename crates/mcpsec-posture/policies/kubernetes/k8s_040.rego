# METADATA
# title: AppArmor disabled
# description: An `unconfined` AppArmor profile removes the default mandatory access control of the container.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-040
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Use the runtime default AppArmor profile.
package mcpsec.checks.k8s_040

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("AppArmor is unconfined (%s)", [k]), "path": "metadata.annotations"} if {
	some k, v in k8s.coll(object.get(k8s.pod_meta, "annotations", {}))
	startswith(k, "container.apparmor.security.beta.kubernetes.io/")
	v == "unconfined"
}

deny contains {"msg": sprintf("container %q has AppArmor profile Unconfined", [x.name]), "path": sprintf("%s.securityContext.appArmorProfile", [x.path])} if {
	some x in k8s.containers
	k8s.sc_value(x, "appArmorProfile").type == "Unconfined"
}
