# METADATA
# title: Unsafe sysctl
# description: Sysctls outside the safe set affect the whole node; the baseline Pod Security Standard forbids them.
# related_resources: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/']
# custom:
#   id: K8S-033
#   severity: high
#   input: kubernetes
#   selector: [workload]
#   remediation: Remove unsafe sysctls from `securityContext.sysctls`.
package mcpsec.checks.k8s_033

import rego.v1

import data.lib.k8s

safe := {"kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}

deny contains {"msg": sprintf("pod sets unsafe sysctl %s", [s.name]), "path": sprintf("%s.securityContext.sysctls[%d]", [k8s.pod_spec_path, i])} if {
	some i, s in k8s.coll(k8s.pod_sc.sysctls)
	not s.name in safe
}
