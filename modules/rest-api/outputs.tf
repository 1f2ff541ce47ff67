output "api_id" {
  description = "Id of the REST API."
  value       = aws_api_gateway_rest_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the REST API (prefix of its execute-api ARNs)."
  value       = aws_api_gateway_rest_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_api_gateway_stage.this.stage_name
}

output "stage_arn" {
  description = "ARN of the stage (the resource of a WAF web ACL association, waf_web_acl_arn)."
  value       = aws_api_gateway_stage.this.arn
}

output "invoke_url" {
  description = "Invoke URL of the stage."
  value       = aws_api_gateway_stage.this.invoke_url
}

output "authorizer_id" {
  description = "Id of the Lambda authorizer."
  value       = try(data.aws_api_gateway_authorizers.this.ids[0], null)
}

output "resource_ids" {
  description = "Resource ids by path."
  value       = local.resource_ids
}

output "access_log_group_name" {
  description = "Name of the access-log group (null when access logs are off)."
  value       = try(aws_cloudwatch_log_group.access[0].name, null)
}

output "routes" {
  description = "Per route key: method id, authorization type (CUSTOM or NONE) and authorizer id (null on public routes)."
  value = {
    for k, r in local.routes : k => {
      id                 = "agm-${aws_api_gateway_rest_api.this.id}-${local.resource_ids[r.path]}-${r.method}"
      authorization_type = r.public ? "NONE" : "CUSTOM"
      authorizer_id      = r.public ? null : try(data.aws_api_gateway_authorizers.this.ids[0], null)
    }
  }
}

output "deployment_id" {
  description = "Id of the stage's deployment: a new one whenever the API (the OpenAPI document, the resource policy, the endpoint) changes."
  value       = aws_api_gateway_deployment.document.id
}

output "deployment_trigger" {
  description = "The deployment's trigger (sha1 of the document, the resource policy and the endpoint): it changes, and the stage is redeployed, whenever one of them does."
  value       = aws_api_gateway_deployment.document.triggers.redeployment
}

output "body" {
  description = "The OpenAPI document (JSON) that defines the REST API: paths, integrations, the authorizer's security scheme, gateway responses, CORS preflights."
  value       = local.body
}

output "authorizer_permission_source_arn" {
  description = "Source ARN of the permission that lets this API's authorizer invoke the function."
  value       = aws_lambda_permission.authorizers.source_arn
}

output "vpc_link_ids" {
  description = "VPC link ids by vpc_links key (existing and created)."
  value       = local.vpc_link_ids
}
