# Helpers for Terraform policies: attribute access with defaults, references
# between resources of the same module, CIDRs open to the world.
package lib.terraform

import rego.v1

config := input.config

# The first nested block `name` of obj, or {}.
block(obj, name) := obj[name][0] if is_array(obj[name])
else := obj[name] if is_object(obj[name])
else := {}

blocks(obj, name) := obj[name] if is_array(obj[name])
else := [obj[name]] if is_object(obj[name])
else := []

is_true(v) if v == true

is_true(v) if v == "true"

is_false(v) if v == false

is_false(v) if v == "false"

# Other resources of the module of a given type.
resources_of(t) := [r | some r in input.module.resources; r.type == t]

# Whether resource r refers to the current resource (by address or by name/id).
refers_to_me(r) if {
	some _, v in r.config
	is_string(v)
	contains(v, sprintf("%s.%s.", [input.type, input.name]))
}

refers_to_me(r) if {
	some _, v in r.config
	is_string(v)
	bucket := object.get(input.config, "bucket", "")
	is_string(bucket)
	bucket != ""
	v == bucket
}

world_cidrs := {"0.0.0.0/0", "::/0"}

open_to_world(rule) if {
	some c in coll(object.get(rule, "cidr_blocks", []))
	c in world_cidrs
}

open_to_world(rule) if {
	some c in coll(object.get(rule, "ipv6_cidr_blocks", []))
	c in world_cidrs
}

open_to_world(rule) if object.get(rule, "cidr_ipv4", "") in world_cidrs

open_to_world(rule) if object.get(rule, "cidr_ipv6", "") in world_cidrs

to_number_or(v, d) := v if is_number(v)
else := to_number(v) if {
	is_string(v)
	regex.match(`^-?[0-9]+$`, v)
}
else := d

all_protocols(rule) if object.get(rule, "protocol", "") in {"-1", -1, "all"}

all_protocols(rule) if object.get(rule, "ip_protocol", "") in {"-1", -1, "all"}

# Whether an ingress rule covers TCP port p (protocol -1 and 0-0 mean every port).
covers_port(rule, p) if all_protocols(rule)

covers_port(rule, p) if every_port(rule)

# Port ranges that mean "every port": 0-0 and -1 (as the AWS console writes
# them for all traffic) and 0-65535.
every_port(rule) if {
	from := to_number_or(object.get(rule, "from_port", 0), 0)
	to := to_number_or(object.get(rule, "to_port", 0), 0)
	[from, to] in {[0, 0], [-1, -1], [0, 65535], [-1, 65535]}
}

covers_port(rule, p) if {
	from := to_number_or(object.get(rule, "from_port", -1), -1)
	to := to_number_or(object.get(rule, "to_port", -1), -1)
	from <= p
	p <= to
}

# A policy document as an object, whether given as JSON text or as an object.
policy_doc(v) := json.unmarshal(v) if {
	is_string(v)
	startswith(trim_space(v), "{")
}
else := v if is_object(v)

statements(doc) := doc.Statement if is_array(doc.Statement)
else := [doc.Statement] if is_object(doc.Statement)
else := []

as_list(v) := v if is_array(v)
else := [v]

nonempty(v) if {
	is_string(v)
	v != ""
}

nonempty(v) if {
	v != null
	not is_string(v)
}

# The policy document of an IAM policy resource.
iam_policy := input.config.policy if input.config.policy
else := input.config.inline_policy

coll(x) := x if is_array(x)
else := x if is_object(x)
else := []
