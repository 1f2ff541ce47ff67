output "dashboard_name" {
  description = "Name of the dashboard (null when dashboard = false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

output "dashboard_arn" {
  description = "ARN of the dashboard (null when dashboard = false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_arn, null)
}

output "dashboard_body" {
  description = "The dashboard's JSON body (null when dashboard = false)."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_body, null)
}

output "alarm_arns" {
  description = "ARNs of the alarms by kind (authorizer_errors, api_server_errors, policy_stale, policy_events_rejected, policy_entities_withheld, policy_stream_unanchored); empty without alarm_sns_topic_arn."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.arn }
}

output "alarm_names" {
  description = "Names of the alarms by kind; empty without alarm_sns_topic_arn."
  value       = { for k, a in aws_cloudwatch_metric_alarm.this : k => a.alarm_name }
}

output "metrics" {
  description = "What the dashboard and alarms read, stated once: the authorizer's `namespace`, its metric names (`metric`) and dimension sets (`dimensions`), and the AWS/Lambda and AWS/ApiGateway metrics and dimensions of this gateway (`lambda`, `api`)."
  value = {
    namespace  = local.namespace
    metric     = local.metric
    dimensions = local.dimensions
    lambda     = local.lambda
    api        = local.api
    api_id     = var.api_id
    topic      = try(local.stream.topic, null)
  }
}

output "prices" {
  description = "The prices the cost estimate uses (USD), defaults filled in."
  value       = local.price
}
