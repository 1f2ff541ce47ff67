output "invoke_url" {
  description = "Invoke URL of the stage."
  value       = local.api.invoke_url
}

output "custom_domain" {
  description = "The custom domain (null without custom_domain): `url` (https://<domain_name>[/<base_path>], the stage is not in the path), `domain_name`, `regional_domain_name` and `regional_zone_id` (the target of your own alias or CNAME record when the module does not manage DNS), `certificate_arn` (given or requested) and `alias_record_fqdns`."
  value = var.custom_domain == null ? null : {
    url                  = module.custom_domain[0].url
    domain_name          = module.custom_domain[0].domain_name
    regional_domain_name = module.custom_domain[0].regional_domain_name
    regional_zone_id     = module.custom_domain[0].regional_zone_id
    certificate_arn      = module.custom_domain[0].certificate_arn
    alias_record_fqdns   = module.custom_domain[0].alias_record_fqdns
  }

  # modules/custom-domain creates REGIONAL domain names, which cannot map a PRIVATE API
  # (that needs a private custom domain name, aws_api_gateway_domain_name with PRIVATE).
  precondition {
    condition     = var.custom_domain == null || var.endpoint_type != "PRIVATE"
    error_message = "custom_domain cannot serve endpoint_type = \"PRIVATE\": the module's regional domain names do not map private APIs. Remove custom_domain (clients use the invoke URL through the VPC endpoint) or use endpoint_type = \"REGIONAL\"."
  }
}

output "api_gateway_id" {
  description = "Id of the API Gateway API (HTTP or REST)."
  value       = local.api.api_id

  # Here rather than in the variables: a variable's rule cannot read api_type before Terraform 1.9.
  precondition {
    condition     = var.api_type == "rest" || (var.endpoint_type == "REGIONAL" && length(var.vpc_endpoint_ids) == 0 && length(var.resource_policy_statements) == 0)
    error_message = "endpoint_type other than \"REGIONAL\", vpc_endpoint_ids and resource_policy_statements need api_type = \"rest\": API Gateway HTTP APIs are regional only and cannot be private."
  }
}

output "api_execution_arn" {
  description = "Execution ARN of the API (prefix of its execute-api ARNs)."
  value       = local.api.execution_arn
}

output "api_type" {
  description = "Kind of API Gateway created: http or rest."
  value       = var.api_type
}

output "stage_name" {
  description = "Name of the stage."
  value       = local.api.stage_name
}

output "stage_arn" {
  description = "ARN of the stage (REST: the resource a WAF web ACL is associated with, waf_web_acl_arn)."
  value       = local.api.stage_arn

  # Here rather than in the variable: a variable's rule cannot read api_type before Terraform 1.9.
  precondition {
    condition     = var.waf_web_acl_arn == null || var.api_type == "rest"
    error_message = "waf_web_acl_arn needs api_type = \"rest\": API Gateway HTTP APIs cannot be associated with a WAF web ACL."
  }
}

output "authorizer_id" {
  description = "Id of the API Gateway Lambda authorizer."
  value       = local.api.authorizer_id
}

output "authorizer_function_name" {
  description = "Name of the authorizer function."
  value       = module.authorizer.function_name
}

output "authorizer_function_arn" {
  description = "ARN of the authorizer function."
  value       = module.authorizer.function_arn
}

output "authorizer_role_arn" {
  description = "ARN of the authorizer function's execution role."
  value       = module.authorizer.role_arn
}

output "authorizer_log_group_name" {
  description = "Log group of the authorizer's decision logs."
  value       = module.authorizer.log_group_name
}

output "access_log_group_name" {
  description = "Log group of the stage's access logs (null when access logs are off)."
  value       = local.api.access_log_group_name
}

output "policy_layer_arn" {
  description = "ARN (with version) of the layer carrying the baked policy at /opt/gateway-policy.json."
  value       = module.authorizer.policy_layer_arn
}

output "policy_revision" {
  description = "The revision of the baked policy document."
  value       = module.authorizer.policy_revision
}

output "security_group_id" {
  description = "Security group created for the authorizer's access to the brokers (null without policy_stream or with security_group_ids given)."
  value       = try(module.msk_access[0].security_group_id, null)
}

output "msk_vpc_connection_arn" {
  description = "ARN of the multi-VPC connection to the cluster (null when none was created)."
  value       = try(module.msk_access[0].vpc_connection_arn, null)
}

output "msk_cluster_policy_json" {
  description = "The cluster policy the platform account must attach to the MSK cluster so this authorizer can connect and read the topic (null without policy_stream)."
  value       = try(module.msk_access[0].cluster_policy_json, null)
}

output "routes" {
  description = "Per route key: id, authorization type (CUSTOM: the authorizer; NONE: a public route) and authorizer id."
  value       = local.api.routes
}

output "vpc_link_ids" {
  description = "VPC link ids by vpc_links key: the existing ones and those the module created."
  value       = local.api.vpc_link_ids
}

output "authorizer_permission_source_arn" {
  description = "Source ARN of the Lambda permission that lets this API's authorizer (and only it) invoke the function."
  value       = local.api.permission_source_arn
}

output "iam_policies" {
  description = "The IAM policies the module grants the authorizer's role: its own (logs, ENIs) and the policy-stream one (null without policy_stream)."
  value = {
    authorizer    = module.authorizer.role_policy_json
    policy_stream = try(module.msk_access[0].client_policy_json, null)
  }
}

output "observability" {
  description = "The gateway's dashboard (`dashboard_name`, `dashboard_arn`; null with dashboard = false), its alarms by kind (`alarm_arns`; empty without alarm_sns_topic_arn) and the metrics they read (`metrics`: namespace, names, dimensions)."
  value = {
    dashboard_name = module.observability.dashboard_name
    dashboard_arn  = module.observability.dashboard_arn
    alarm_arns     = module.observability.alarm_arns
    metrics        = module.observability.metrics
  }
}
