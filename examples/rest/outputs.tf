output "invoke_url" {
  description = "Invoke URL of the stage."
  value       = module.gateway.invoke_url
}

output "api_gateway_id" {
  description = "Id of the REST API."
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

output "access_log_group_name" {
  description = "Access-log group of the stage."
  value       = module.gateway.access_log_group_name
}

output "stage_name" {
  description = "Name of the stage."
  value       = module.gateway.stage_name
}

output "custom_domain" {
  description = "The custom domain: url, regional_domain_name and regional_zone_id (for your own DNS record), certificate_arn (null without domain_name)."
  value       = module.gateway.custom_domain
}
