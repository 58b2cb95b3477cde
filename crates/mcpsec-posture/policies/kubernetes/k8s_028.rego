# METADATA
# title: Default namespace used
# description: Resources in the `default` namespace share it with everything else deployed without thought; namespaces are the unit of RBAC, quotas and network policy.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom: {id: K8S-028, severity: low, input: kubernetes, remediation: Deploy into a dedicated namespace (`metadata.namespace`).}
package mcpsec.checks.k8s_028

import rego.v1

import data.lib.k8s

cluster_scoped := {"Namespace", "Node", "PersistentVolume", "StorageClass", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PriorityClass", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration", "APIService", "PodSecurityPolicy", "IngressClass", "RuntimeClass", "CSIDriver", "CertificateSigningRequest", "List"}

system_object if {
	input.kind == "Service"
	input.metadata.name == "kubernetes"
}

system_object if {
	input.kind == "ServiceAccount"
	input.metadata.name == "default"
}

deny contains {"msg": sprintf("%s %q is in the default namespace", [input.kind, k8s.name]), "path": "metadata"} if {
	not input.kind in cluster_scoped
	not system_object
	object.get(object.get(input, "metadata", {}), "namespace", "default") == "default"
}
