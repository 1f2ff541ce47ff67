output "routes" {
  description = "The route table with its defaults filled in and each route's `method`, `path`, `segments` and path parameter names (`params`); null when no routes were passed."
  value       = local.routes
}

output "stage_name" {
  description = "The stage name (default \"v1\")."
  value       = coalesce(var.stage_name, "v1")
}

output "throttling" {
  description = "The default throttling with its defaults filled in."
  value       = var.throttling
}

output "access_logs" {
  description = "The access-log settings with their defaults filled in."
  value       = var.access_logs
}

output "api_authorizer" {
  description = "The API Gateway side of the authorizer with its defaults filled in; null when none was passed."
  value       = var.api_authorizer
}

output "name" {
  description = "The gateway name, checked."
  value       = var.name
}

output "tags" {
  description = "The tags, checked."
  value       = var.tags
}

output "log_retention_days" {
  description = "The log retentions, checked."
  value       = var.log_retention_days
}

output "cluster_arn" {
  description = "The MSK cluster ARN, checked."
  value       = var.cluster_arn
}

output "api_id" {
  description = "The policy's API id, checked."
  value       = var.api_id
}

output "topic" {
  description = "The policy topic, checked."
  value       = var.topic
}

output "iam" {
  description = "The IAM role guardrails (permissions boundary, role path) with their defaults filled in."
  value       = var.iam
}

output "vpc_links" {
  description = "The VPC links with their defaults filled in."
  value       = var.vpc_links
}
