output "security_group_ids" {
  description = "Security groups for the authorizer's vpc_config (the created one, or those passed in)."
  value       = local.security_group_ids
}

output "security_group_id" {
  description = "Id of the created security group (null when security_group_ids were passed in)."
  value       = local.create_sg ? aws_security_group.this[0].id : null
}

output "client_policy_json" {
  description = "The IAM policy (kafka-cluster actions on the cluster, the topic and the group prefix) granted to role_name."
  value       = jsonencode(local.client_policy)
}

output "cluster_policy_json" {
  description = "The MSK cluster policy the platform account must attach to the cluster (aws_msk_cluster_policy / put-cluster-policy) so this account can connect and read the topic."
  value       = jsonencode(local.cluster_policy)
}

output "cross_account" {
  description = "Whether the cluster is reached across accounts (multi-VPC connectivity)."
  value       = local.cross_account
}

output "broker_ports" {
  description = "The TCP port range the authorizer uses to reach the brokers."
  value       = { from = local.broker_from_port, to = local.broker_to_port }
}

output "topic" {
  description = "Name of the policy topic."
  value       = var.topic
}

output "topic_arn" {
  description = "ARN of the policy topic."
  value       = local.topic_arn
}

output "status_topic" {
  description = "Name of the status topic the authorizer writes its reports to (null when off)."
  value       = var.status_topic
}

output "status_topic_arn" {
  description = "ARN of the status topic, the only topic the authorizer may write (null when off)."
  value       = local.status_topic_arn

  precondition {
    condition     = var.status_topic != var.topic
    error_message = "status_topic must differ from topic: an authorizer must never be able to write the policy topic."
  }
}

output "group_arn" {
  description = "ARN pattern of the dedicated consumer-group prefix."
  value       = local.group_arn
}

output "vpc_connection_arn" {
  description = "ARN of the multi-VPC connection (null when none was created)."
  value       = try(aws_msk_vpc_connection.this[0].arn, null)
}
