# modules/observability on its own: the dashboard reads the metrics the authorizer emits
# (names, namespace and dimensions as authorizer/src and authorizer-ts/src write them) and
# the AWS/Lambda and AWS/ApiGateway metrics of an HTTP or a REST API; alarms exist only with
# an SNS topic; bad inputs are refused. Runs against a mocked AWS provider.

# Nothing the assertions compare against is computed by the provider: every value is generated.
mock_provider "aws" {}

variables {
  name   = "orders"
  api_id = "orders"
  region = "eu-west-1"
  api    = { type = "http", id = "a1b2c3", stage = "v1" }
  authorizer = {
    function_name  = "orders-authorizer"
    memory_mb      = 256
    architecture   = "arm64"
    log_group_name = "/aws/lambda/orders-authorizer"
  }
  access_logs   = { log_group_name = "/aws/apigateway/orders/access" }
  policy_stream = { topic = "gateway-policy.v1" }
}

run "http_dashboard_reads_what_the_authorizer_emits" {
  command = apply

  module {
    source = "./modules/observability"
  }

  assert {
    condition     = output.dashboard_name == "orders-gateway"
    error_message = "The dashboard is <name>-gateway."
  }

  assert {
    condition = toset([for w in jsondecode(output.dashboard_body).widgets : w.properties.title if w.type != "text"]) == toset([
      "Decisions by effect", "Decisions by effect and reason", "Authorizer latency (ms)", "Authorizer errors and throttles",
      "Authorizer concurrency", "Policy revision in force", "Policy staleness", "Rejected policy events",
      "API requests, 4xx and 5xx", "API 5xx rate (%)", "API latency (ms)", "Estimated cost, last 30 days (USD)",
      "Estimated cost per hour (USD)", "Throttled requests (429, access logs)",
    ])
    error_message = "The dashboard has decisions, authorizer latency and errors, policy revision, staleness and rejections, API 4xx/5xx/latency, cost and throttled requests (and no alarm widget without alarms)."
  }

  assert {
    condition = strcontains(output.dashboard_body, jsonencode(
      "SEARCH('{TeamGateway/Authorizer,ApiId,Effect,Reason} MetricName=\"Decisions\" ApiId=\"orders\"', 'Sum', 300)"
      )) && strcontains(output.dashboard_body, jsonencode(
      "SUM(SEARCH('{TeamGateway/Authorizer,ApiId,Effect,Reason} MetricName=\"Decisions\" ApiId=\"orders\" Effect=\"deny\"', 'Sum', 300))"
    ))
    error_message = "Decisions are searched in TeamGateway/Authorizer with the dimension set ApiId, Effect, Reason and the policy's API id, by reason and summed by effect."
  }

  assert {
    condition = alltrue([for m in ["PolicyRevision", "PolicyStalenessMs", "StaleDecisions"] : strcontains(output.dashboard_body,
    "{TeamGateway/Authorizer,ApiId,Effect,Reason} MetricName=\\\"${m}\\\" ApiId=\\\"orders\\\"")])
    error_message = "Revision, staleness and stale decisions are read from the decision records (ApiId, Effect, Reason)."
  }

  assert {
    condition = strcontains(output.dashboard_body, jsonencode(
      "SEARCH('{TeamGateway/Authorizer,Rejection,Topic} MetricName=\"PolicyEventsRejected\" Topic=\"gateway-policy.v1\"', 'Sum', 300)"
    )) && strcontains(output.dashboard_body, trimsuffix(jsonencode(["TeamGateway/Authorizer", "PolicyLag", "Topic", "gateway-policy.v1"]), "]"))
    error_message = "Rejected events are searched by Rejection and Topic; the lag by Topic."
  }

  assert {
    condition     = !strcontains(output.dashboard_body, "PolicyStreamUnanchored") && !strcontains(output.dashboard_body, "PolicyEntitiesWithheld")
    error_message = "The signed-mode gauges are shown only in signed mode."
  }

  assert {
    condition = alltrue([for m in ["Count", "4xx", "5xx", "Latency", "IntegrationLatency"] : strcontains(output.dashboard_body,
    trimsuffix(jsonencode(["AWS/ApiGateway", m, "ApiId", "a1b2c3", "Stage", "v1"]), "]"))]) && !strcontains(output.dashboard_body, "5XXError")
    error_message = "An HTTP API's metrics are Count, 4xx, 5xx and latencies keyed by ApiId and Stage."
  }

  assert {
    condition = alltrue([for m in ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"] : strcontains(output.dashboard_body,
    trimsuffix(jsonencode(["AWS/Lambda", m, "FunctionName", "orders-authorizer"]), "]"))])
    error_message = "The authorizer's Lambda metrics are keyed by FunctionName."
  }

  assert {
    condition = (
      strcontains(output.dashboard_body, jsonencode("FILL(req, 0) * 1 / 1000000")) &&
      strcontains(output.dashboard_body, jsonencode("FILL(inv, 0) * 0.2 / 1000000")) &&
      strcontains(output.dashboard_body, jsonencode("FILL(dur, 0) / 1000 * 0.25 * 0.0000133334")) &&
      strcontains(output.dashboard_body, jsonencode("(FILL(log0, 0) + FILL(log1, 0)) / 1073741824 * 0.5")) &&
      strcontains(output.dashboard_body, trimsuffix(jsonencode(["AWS/Logs", "IncomingBytes", "LogGroupName", "/aws/apigateway/orders/access"]), "]"))
    )
    error_message = "Cost: HTTP API requests at 1.00/M, Lambda requests at 0.20/M, Duration x 0.25 GB at the arm64 GB-second price, and both log groups' ingestion at 0.50/GB."
  }

  assert {
    condition     = one([for w in jsondecode(output.dashboard_body).widgets : w.properties if try(w.properties.title, "") == "Estimated cost, last 30 days (USD)"]).start == "-P30D"
    error_message = "The cost number covers the last 30 days whatever the dashboard's range."
  }

  assert {
    condition     = alltrue([for w in jsondecode(output.dashboard_body).widgets : w.properties.region == "eu-west-1" if contains(["metric", "log"], w.type)])
    error_message = "Every metric and log widget names the gateway's region."
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.this) == 0 && output.alarm_arns == {}
    error_message = "Without an SNS topic there are no alarms."
  }
}

run "rest_dashboard_uses_the_rest_metric_names" {
  command = apply

  module {
    source = "./modules/observability"
  }

  variables {
    api           = { type = "rest", name = "orders", stage = "v1" }
    authorizer    = { function_name = "orders-authorizer", memory_mb = 512, architecture = "x86_64", log_group_name = "/aws/lambda/orders-authorizer" }
    access_logs   = { log_group_name = "/aws/apigateway/orders/access", module_format = false }
    policy_stream = null
  }

  assert {
    condition = alltrue([for m in ["Count", "4XXError", "5XXError", "Latency", "IntegrationLatency"] : strcontains(output.dashboard_body,
    trimsuffix(jsonencode(["AWS/ApiGateway", m, "ApiName", "orders", "Stage", "v1"]), "]"))]) && !strcontains(output.dashboard_body, "\"ApiId\",")
    error_message = "A REST API's metrics are Count, 4XXError, 5XXError and latencies keyed by ApiName and Stage, never ApiId."
  }

  assert {
    condition     = strcontains(output.dashboard_body, jsonencode("FILL(req, 0) * 3.5 / 1000000")) && strcontains(output.dashboard_body, jsonencode("FILL(dur, 0) / 1000 * 0.5 * 0.0000166667")) && strcontains(output.dashboard_body, jsonencode("(FILL(log0, 0) + FILL(log1, 0)) / 1073741824 * 0.5"))
    error_message = "A REST API costs 3.50/M requests; x86_64 GB-seconds 0.0000166667; 512 MB is 0.5 GB; access logs of a format of its own still cost."
  }

  assert {
    condition     = !strcontains(output.dashboard_body, "PolicyEventsRejected") && !strcontains(output.dashboard_body, "Throttled requests")
    error_message = "Without a policy stream there is no rejected-events widget; without access logs in the module's format no throttled-requests widget."
  }
}

run "alarms_with_an_sns_topic" {
  command = apply

  module {
    source = "./modules/observability"
  }

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:orders-alarms"
    policy_stream       = { topic = "gateway-policy.v1", signed = true }
    stale_alarm_minutes = 15
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["authorizer_errors", "api_server_errors", "policy_stale", "policy_events_rejected", "policy_entities_withheld", "policy_stream_unanchored"])
    error_message = "With an SNS topic, a policy stream and signed mode, all six alarms exist."
  }

  assert {
    condition     = alltrue([for a in aws_cloudwatch_metric_alarm.this : a.alarm_actions == toset(["arn:aws:sns:eu-west-1:123456789012:orders-alarms"]) && a.ok_actions == a.alarm_actions && a.actions_enabled])
    error_message = "Every alarm notifies the SNS topic on ALARM and OK."
  }

  assert {
    condition     = output.alarm_names.policy_stale == "orders-policy-stale" && output.alarm_names.api_server_errors == "orders-api-5xx-rate" && output.alarm_names.authorizer_errors == "orders-authorizer-errors"
    error_message = "Alarms are named <name>-<alarm>."
  }

  assert {
    condition = (
      one([for q in aws_cloudwatch_metric_alarm.this["policy_stale"].metric_query : q if q.return_data]).expression ==
      "SELECT MAX(PolicyStalenessMs) FROM SCHEMA(\"TeamGateway/Authorizer\", ApiId, Effect, Reason) WHERE ApiId = 'orders'" &&
      one([for q in aws_cloudwatch_metric_alarm.this["policy_stale"].metric_query : q if q.return_data]).period == 60 &&
      aws_cloudwatch_metric_alarm.this["policy_stale"].threshold == 900000 &&
      aws_cloudwatch_metric_alarm.this["policy_stale"].treat_missing_data == "ignore"
    )
    error_message = "The stale alarm is a Metrics Insights MAX of PolicyStalenessMs over the decision records of this API id, above stale_alarm_minutes in ms."
  }

  assert {
    condition     = one([for q in aws_cloudwatch_metric_alarm.this["policy_events_rejected"].metric_query : q if q.return_data]).expression == "SELECT SUM(PolicyEventsRejected) FROM SCHEMA(\"TeamGateway/Authorizer\", Rejection, Topic) WHERE Topic = 'gateway-policy.v1' AND Rejection != 'stale_revision'"
    error_message = "The rejected-events alarm sums PolicyEventsRejected of the topic over every Rejection but stale_revision."
  }

  assert {
    condition = (
      one(one([for q in aws_cloudwatch_metric_alarm.this["policy_stream_unanchored"].metric_query : q if q.return_data]).metric).metric_name == "PolicyStreamUnanchored" &&
      one(one([for q in aws_cloudwatch_metric_alarm.this["policy_stream_unanchored"].metric_query : q if q.return_data]).metric).dimensions == tomap({ Topic = "gateway-policy.v1" }) &&
      one(one([for q in aws_cloudwatch_metric_alarm.this["policy_entities_withheld"].metric_query : q if q.return_data]).metric).namespace == "TeamGateway/Authorizer"
    )
    error_message = "The signed-mode alarms read PolicyStreamUnanchored and PolicyEntitiesWithheld by Topic."
  }

  assert {
    condition = (
      one([for q in aws_cloudwatch_metric_alarm.this["api_server_errors"].metric_query : q if q.return_data]).expression == "IF(FILL(req, 0) >= 10, 100 * FILL(err, 0) / req, 0)" &&
      one(one([for q in aws_cloudwatch_metric_alarm.this["api_server_errors"].metric_query : q if q.id == "err"]).metric).metric_name == "5xx" &&
      one(one([for q in aws_cloudwatch_metric_alarm.this["api_server_errors"].metric_query : q if q.id == "err"]).metric).dimensions == tomap({ ApiId = "a1b2c3", Stage = "v1" }) &&
      aws_cloudwatch_metric_alarm.this["api_server_errors"].threshold == 5
    )
    error_message = "The 5xx alarm is the 5xx share of the HTTP API's requests, in percent, above 5 by default."
  }

  assert {
    condition = (
      one([for q in aws_cloudwatch_metric_alarm.this["authorizer_errors"].metric_query : q if q.return_data]).expression == "FILL(errors, 0) + FILL(throttles, 0)" &&
      one(one([for q in aws_cloudwatch_metric_alarm.this["authorizer_errors"].metric_query : q if q.id == "errors"]).metric).dimensions == tomap({ FunctionName = "orders-authorizer" }) &&
      aws_cloudwatch_metric_alarm.this["authorizer_errors"].threshold == 0
    )
    error_message = "The authorizer-errors alarm adds the function's Errors and Throttles; any is too many by default."
  }

  assert {
    condition     = length([for w in jsondecode(output.dashboard_body).widgets : w if w.type == "alarm"]) == 1 && strcontains(output.dashboard_body, "PolicyStreamUnanchored")
    error_message = "With alarms the dashboard shows their states; in signed mode it shows the signed-mode gauges."
  }
}

run "baked_only_alarms_need_no_stream" {
  command = apply

  module {
    source = "./modules/observability"
  }

  variables {
    alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:orders-alarms"
    policy_stream       = null
    api                 = { type = "rest", name = "orders", stage = "v1" }
  }

  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.this)) == toset(["authorizer_errors", "api_server_errors"])
    error_message = "Without a policy stream there is no stale or rejected-events alarm."
  }

  assert {
    condition     = one(one([for q in aws_cloudwatch_metric_alarm.this["api_server_errors"].metric_query : q if q.id == "err"]).metric).metric_name == "5XXError"
    error_message = "A REST API's 5xx alarm reads 5XXError."
  }
}

run "no_dashboard" {
  command = apply

  module {
    source = "./modules/observability"
  }

  variables {
    dashboard = false
  }

  assert {
    condition     = length(aws_cloudwatch_dashboard.this) == 0 && output.dashboard_name == null && length(aws_cloudwatch_metric_alarm.this) == 0
    error_message = "dashboard = false and no SNS topic: nothing is created."
  }
}

# The names the module reads are the ones the authorizer writes: each appears, quoted, in
# the Rust and the TypeScript sources of the EMF records. (The check needs the checkout's
# sources; a copy of the module files alone, as tf-check's tofu run uses, skips it.)
run "metric_names_match_the_authorizer_sources" {
  command = plan

  module {
    source = "./modules/observability"
  }

  assert {
    condition = !fileexists("authorizer/src/observe.rs") || alltrue([for n in concat([output.metrics.namespace], values(output.metrics.metric), flatten(values(output.metrics.dimensions))) :
    strcontains(join("\n", [file("authorizer/src/observe.rs"), file("authorizer/src/stream/consumer.rs")]), "\"${n}\"")])
    error_message = "Every metric name, dimension and the namespace must be one the Rust authorizer emits (authorizer/src/observe.rs, stream/consumer.rs)."
  }

  assert {
    condition = !fileexists("authorizer-ts/src/observe.ts") || alltrue([for n in concat([output.metrics.namespace], values(output.metrics.metric), flatten(values(output.metrics.dimensions))) :
    strcontains(join("\n", [file("authorizer-ts/src/observe.ts"), file("authorizer-ts/src/stream/live.ts")]), "\"${n}\"")])
    error_message = "Every metric name, dimension and the namespace must be one the TypeScript authorizer emits (authorizer-ts/src/observe.ts, stream/live.ts)."
  }
}

run "bad_inputs_are_refused" {
  command = plan

  module {
    source = "./modules/observability"
  }

  variables {
    region                     = "Europe"
    api                        = { type = "graphql", stage = "v1" }
    authorizer                 = { function_name = "orders-authorizer", memory_mb = 64, architecture = "arm64", log_group_name = "/aws/lambda/orders-authorizer" }
    alarm_sns_topic_arn        = "orders-alarms"
    stale_alarm_minutes        = 0
    authorizer_error_threshold = -1
    server_error_alarm_percent = 0
    rejected_events_threshold  = 0.5
    prices                     = { lambda_per_gb_second = -1 }
  }

  expect_failures = [
    var.region,
    var.api,
    var.authorizer,
    var.alarm_sns_topic_arn,
    var.stale_alarm_minutes,
    var.authorizer_error_threshold,
    var.server_error_alarm_percent,
    var.rejected_events_threshold,
    var.prices,
  ]
}

run "an_http_api_needs_its_id" {
  command = plan

  module {
    source = "./modules/observability"
  }

  variables {
    api = { type = "http", name = "orders", stage = "v1" }
  }

  expect_failures = [var.api]
}
