# METADATA
# title: Secrets passed as environment variables
# description: Secrets in environment variables leak through process listings, crash dumps and child processes; files are safer.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-023
#   severity: low
#   input: kubernetes
#   selector: [workload]
#   remediation: Mount Secrets as volumes instead of `secretKeyRef` / `envFrom.secretRef`.
package mcpsec.checks.k8s_023

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("container %q reads Secret %q into environment variable %s", [x.name, e.valueFrom.secretKeyRef.name, e.name]), "path": sprintf("%s.env[%d]", [x.path, i])} if {
	some x in k8s.containers
	some i, e in k8s.coll(x.c.env)
	e.valueFrom.secretKeyRef
}

deny contains {"msg": sprintf("container %q loads Secret %q into its environment", [x.name, e.secretRef.name]), "path": sprintf("%s.envFrom[%d]", [x.path, i])} if {
	some x in k8s.containers
	some i, e in k8s.coll(x.c.envFrom)
	e.secretRef
}
