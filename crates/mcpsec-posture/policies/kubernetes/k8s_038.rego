# METADATA
# title: Ingress without TLS
# description: An Ingress without a `tls` section serves plain HTTP; credentials and sessions travel in clear text.
# related_resources: ['https://kubernetes.io/docs/concepts/services-networking/ingress/#tls']
# custom:
#   id: K8S-038
#   severity: medium
#   input: kubernetes
#   selector: [Ingress]
#   remediation: Add `spec.tls` with a certificate for the hosts.
package mcpsec.checks.k8s_038

import rego.v1

import data.lib.k8s

deny contains {"msg": sprintf("ingress %q serves without TLS", [k8s.name]), "path": "spec"} if {
	count(object.get(input.spec, "tls", [])) == 0
}
