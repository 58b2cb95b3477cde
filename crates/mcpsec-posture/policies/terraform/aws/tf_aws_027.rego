# METADATA
# title: EKS API endpoint public
# description: The cluster API endpoint is reachable from the internet (the default).
# related_resources: ['https://docs.aws.amazon.com/eks/latest/userguide/cluster-endpoint.html']
# custom:
#   id: TF-AWS-027
#   severity: high
#   input: terraform
#   selector: [aws_eks_cluster]
#   remediation: Set `vpc_config { endpoint_public_access = false }` or restrict `public_access_cidrs`.
package mcpsec.checks.tf_aws_027

import rego.v1

import data.lib.terraform as tf

deny contains {"msg": sprintf("%s: eKS API endpoint public", [input.address]), "path": "config.vpc_config"} if {
	vc := tf.block(tf.config, "vpc_config")
	not tf.is_false(object.get(vc, "endpoint_public_access", true))
}
