output "api_id" {
  description = "Id of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "execution_arn" {
  description = "Execution ARN of the HTTP API (prefix of its execute-api ARNs)."
  value       = aws_apigatewayv2_api.this.execution_arn
}

output "stage_name" {
  description = "Name of the stage."
  value       = aws_apigatewayv2_stage.this.name
}

output "stage_arn" {
  description = "ARN of the stage."
  value       = aws_apigatewayv2_stage.this.arn
}

output "invoke_url" {
  description = "Invoke URL of the stage."
  value       = aws_apigatewayv2_stage.this.invoke_url
}

output "authorizer_id" {
  description = "Id of the Lambda authorizer."
  value       = aws_apigatewayv2_authorizer.this.id
}

output "route_ids" {
  description = "Route ids by route key."
  value       = { for k, r in aws_apigatewayv2_route.this : k => r.id }
}

output "access_log_group_name" {
  description = "Name of the access-log group (null when access logs are off)."
  value       = try(aws_cloudwatch_log_group.access[0].name, null)
}

output "routes" {
  description = "Per route key: route id, authorization type (CUSTOM or NONE) and authorizer id (null on public routes)."
  value = {
    for k, r in aws_apigatewayv2_route.this : k => {
      id                 = r.id
      authorization_type = r.authorization_type
      authorizer_id      = r.authorization_type == "CUSTOM" ? r.authorizer_id : null
    }
  }
}

output "authorizer_permission_source_arn" {
  description = "Source ARN of the permission that lets this API's authorizer invoke the function."
  value       = aws_lambda_permission.authorizer.source_arn
}

output "vpc_link_ids" {
  description = "VPC link ids by vpc_links key (existing and created)."
  value       = local.vpc_link_ids
}
