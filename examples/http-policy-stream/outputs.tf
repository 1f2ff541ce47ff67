output "invoke_url" {
  description = "Invoke URL of the stage."
  value       = module.gateway.invoke_url
}

output "api_gateway_id" {
  description = "Id of the HTTP API."
  value       = module.gateway.api_gateway_id
}

output "authorizer_id" {
  description = "Id of the Lambda authorizer on the API."
  value       = module.gateway.authorizer_id
}

output "authorizer_function_name" {
  description = "Name of the authorizer function."
  value       = module.gateway.authorizer_function_name
}

output "policy_layer_arn" {
  description = "The layer with the baked policy."
  value       = module.gateway.policy_layer_arn
}

output "routes" {
  description = "Routes with their authorization."
  value       = module.gateway.routes
}

output "security_group_id" {
  description = "The authorizer's security group (egress to the brokers only)."
  value       = module.gateway.security_group_id
}

output "msk_vpc_connection_arn" {
  description = "The multi-VPC connection to the platform's cluster."
  value       = module.gateway.msk_vpc_connection_arn
}

output "msk_cluster_policy_json" {
  description = "Send this to the platform team: the cluster policy they attach so this account can connect."
  value       = module.gateway.msk_cluster_policy_json
}

output "dashboard_name" {
  description = "The gateway's CloudWatch dashboard."
  value       = module.gateway.observability.dashboard_name
}

output "alarm_arns" {
  description = "The gateway's alarms by kind (empty without alarm_sns_topic_arn)."
  value       = module.gateway.observability.alarm_arns
}
