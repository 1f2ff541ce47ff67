# The root module's dashboard and alarms (modules/observability), for both flavours: the
# API metrics of the API it built, the authorizer function it built, the policy topic it
# follows; alarms only with an SNS topic. Runs against a mocked AWS provider.

# Computed values of the mocked provider that the assertions below compare against.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.20.0.0/16" }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = { id = "a1b2c3", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = { id = "auth01" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "r1s2t3", root_resource_id = "root00", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
  }
  mock_data "aws_api_gateway_authorizers" {
    defaults = { ids = ["rauth1"] }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-authorizer" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:orders-gateway-policy:1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/orders-authorizer" }
  }
  mock_resource "aws_security_group" {
    defaults = { id = "sg-0a1b2c3d4e5f60718" }
  }
}

variables {
  name              = "orders"
  api_id            = "orders"
  baked_policy_json = <<-EOT
    {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                                         {"route": "POST /orders", "scopes": ["orders:write"]},
                                         {"route": "GET /health", "public": true}]}],
     "publishers": []}
  EOT
  policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
  authorizer_artifact = {
    zip_path = "tftest/fixtures/bootstrap.zip"
  }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
    "POST /orders" = {
      integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders-create" }
      throttling  = { burst_limit = 20, rate_limit = 10 }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
      public      = true
    }
  }
}

run "http_gateway_gets_a_dashboard_and_no_alarms_by_default" {
  command = apply

  assert {
    condition     = output.observability.dashboard_name == "orders-gateway" && output.observability.alarm_arns == {}
    error_message = "By default a gateway gets its dashboard and no alarms (no SNS topic)."
  }

  assert {
    condition = (
      output.observability.metrics.api.dimensions == { ApiId = "a1b2c3", Stage = "v1" } &&
      output.observability.metrics.api.server_errors == "5xx" &&
      output.observability.metrics.lambda.dimensions == { FunctionName = "orders-authorizer" } &&
      output.observability.metrics.api_id == "orders" && output.observability.metrics.topic == null
    )
    error_message = "The HTTP API's metrics are read by its id and stage, the authorizer's by its function name and the policy's API id."
  }

  assert {
    condition = (
      strcontains(module.observability.dashboard_body, trimsuffix(jsonencode(["AWS/Logs", "IncomingBytes", "LogGroupName", "/aws/apigateway/orders/access"]), "]")) &&
      strcontains(module.observability.dashboard_body, "Throttled requests (429, access logs)") &&
      strcontains(module.observability.dashboard_body, jsonencode("FILL(dur, 0) / 1000 * 0.25 * 0.0000133334")) &&
      strcontains(module.observability.dashboard_body, "\"region\":\"eu-west-1\"")
    )
    error_message = "Cost counts the 256 MB arm64 function and the access logs; throttles come from the access logs in the module's format; widgets name the function's region."
  }
}

run "rest_gateway_reads_rest_metrics" {
  command = apply

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    authorizer           = { memory_mb = 512, architecture = "x86_64" }
    access_logs          = { format = "{\"requestId\":\"$context.requestId\",\"code\":\"$context.status\"}" }
    observability        = { alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:orders-alarms", prices = { api_per_million_requests = 3.1 } }
  }

  assert {
    condition     = output.observability.metrics.api.dimensions == { ApiName = "orders", Stage = "v1" } && output.observability.metrics.api.server_errors == "5XXError"
    error_message = "A REST API's metrics are read by its name and stage, 5XXError."
  }

  assert {
    condition = (
      strcontains(module.observability.dashboard_body, jsonencode("FILL(req, 0) * 3.1 / 1000000")) &&
      strcontains(module.observability.dashboard_body, jsonencode("FILL(dur, 0) / 1000 * 0.5 * 0.0000166667")) &&
      !strcontains(module.observability.dashboard_body, "Throttled requests")
    )
    error_message = "A price input replaces the default; 512 MB x86_64; access logs of a format of its own give no throttled-requests widget."
  }

  assert {
    condition     = toset(keys(output.observability.alarm_arns)) == toset(["authorizer_errors", "api_server_errors"])
    error_message = "With an SNS topic and without a policy stream: the authorizer-errors and 5xx alarms."
  }
}

run "policy_stream_gateway_alarms_on_the_stream" {
  command = apply

  variables {
    baked_policy_json = <<-EOT
      {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
       "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]}]}],
       "publishers": [{"kid": "portal-2026", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}
    EOT
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      bootstrap_brokers = "b-1.platform.abc.kafka.eu-west-1.amazonaws.com:9098"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
    }
    observability = { alarm_sns_topic_arn = "arn:aws:sns:eu-west-1:123456789012:orders-alarms", stale_alarm_minutes = 5 }
  }

  assert {
    condition     = output.observability.metrics.topic == "gateway-policy.v1" && strcontains(module.observability.dashboard_body, "Rejected policy events")
    error_message = "With a policy stream the dashboard shows the topic's rejected events."
  }

  assert {
    condition     = toset(keys(output.observability.alarm_arns)) == toset(["authorizer_errors", "api_server_errors", "policy_stale", "policy_events_rejected", "policy_entities_withheld", "policy_stream_unanchored"])
    error_message = "A signed policy stream (the baked policy lists publishers) adds the stale, rejected, withheld and unanchored alarms."
  }

  assert {
    condition     = module.observability.alarm_names.policy_stale == "orders-policy-stale"
    error_message = "Alarms are named after the gateway."
  }
}

run "dashboard_can_be_turned_off" {
  command = apply

  variables {
    observability = { dashboard = false }
  }

  assert {
    condition     = output.observability.dashboard_name == null && output.observability.alarm_arns == {}
    error_message = "dashboard = false and no SNS topic: no dashboard, no alarms."
  }
}
