# Unit tests of the built-in libraries and a few checks, run with
# `mcpsec policy test crates/mcpsec-posture/tests/rego` (and by the test suite).
package mcpsec.tests.builtin

import rego.v1

import data.lib.k8s

pod := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "nginx@sha256:abc"}]}}

test_image_parts if {
	k8s.image_tag("registry:5000/app:1.2") == "1.2"
	k8s.image_tag("registry:5000/app") == ""
	k8s.image_digest("nginx@sha256:abc") == "sha256:abc"
}

test_containers_have_paths if {
	paths := {x.path | some x in k8s.containers} with input as pod
	paths == {"spec.containers[0]"}
}

test_privileged_denied if {
	bad := {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "a", "image": "nginx:1", "securityContext": {"privileged": true}}]}}
	count(data.mcpsec.checks.k8s_001.deny) == 1 with input as bad
}

test_digest_is_a_fixed_tag if {
	count(data.mcpsec.checks.k8s_017.deny) == 0 with input as pod
}

test_ssh_open_to_world if {
	sg := {"type": "aws_security_group", "name": "x", "address": "aws_security_group.x", "config": {"ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"]}]}}
	count(data.mcpsec.checks.tf_aws_008.deny) == 1 with input as sg
}
