# The root module, composed: every protected route carries the authorizer, public routes
# carry none, the authorizer's permission is scoped to this API's authorizer(s), and no IAM
# statement is broader than it must be. Runs against a mocked AWS provider.

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
  mock_resource "aws_api_gateway_stage" {
    defaults = { arn = "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1" }
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

run "http_api_protects_every_non_public_route" {
  command = apply

  assert {
    condition     = output.api_type == "http"
    error_message = "HTTP API is the default."
  }

  assert {
    condition     = alltrue([for k, r in output.routes : r.authorization_type == "CUSTOM" && r.authorizer_id == output.authorizer_id if k != "GET /health"])
    error_message = "Every non-public route must carry the Lambda authorizer."
  }

  assert {
    condition     = output.routes["GET /health"].authorization_type == "NONE" && output.routes["GET /health"].authorizer_id == null
    error_message = "A public route must carry no authorizer."
  }

  assert {
    condition     = output.authorizer_permission_source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/authorizers/auth01"
    error_message = "The authorizer's Lambda permission must be scoped to this API's authorizer (…/authorizers/{id})."
  }

  assert {
    condition     = output.iam_policies.policy_stream == null && output.security_group_id == null && output.msk_cluster_policy_json == null
    error_message = "Without policy_stream there is no MSK access."
  }

  assert {
    condition     = alltrue([for s in jsondecode(output.iam_policies.authorizer).Statement : !contains(flatten([s.Resource]), "*")])
    error_message = "Outside a VPC the authorizer's role needs no Resource = \"*\"."
  }
}

run "rest_api_protects_every_non_public_route" {
  command = apply

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
  }

  assert {
    condition     = output.api_type == "rest" && output.api_gateway_id == "r1s2t3"
    error_message = "api_type = rest builds a REST API."
  }

  assert {
    condition     = alltrue([for k, r in output.routes : r.authorization_type == "CUSTOM" && r.authorizer_id == "rauth1" if k != "GET /health"])
    error_message = "Every non-public REST method must carry the Lambda authorizer."
  }

  assert {
    condition     = output.routes["GET /health"].authorization_type == "NONE" && output.routes["GET /health"].authorizer_id == null
    error_message = "A public REST method must carry no authorizer."
  }

  assert {
    condition     = output.authorizer_permission_source_arn == "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/authorizers/*"
    error_message = "The REST authorizer's Lambda permission must be scoped to this API's authorizers (the document's one)."
  }
}

run "rest_api_takes_cors" {
  command = plan

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    cors                 = { allow_origins = ["https://app.example.com"] }
  }

  assert {
    condition     = jsondecode(module.rest_api[0].body).paths["/health"].options["x-amazon-apigateway-integration"].type == "mock"
    error_message = "The root module's cors input reaches the REST API (MOCK preflights)."
  }
}

run "rest_api_behind_a_waf_web_acl" {
  command = apply

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    waf_web_acl_arn      = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  assert {
    condition     = output.stage_arn == "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1"
    error_message = "The root outputs the REST stage's ARN."
  }
}

run "policy_stream_in_the_same_account" {
  command = apply

  variables {
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      bootstrap_brokers = "b-1.platform.abc.kafka.eu-west-1.amazonaws.com:9098,b-2.platform.abc.kafka.eu-west-1.amazonaws.com:9098"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
    }
  }

  assert {
    condition     = output.security_group_id == "sg-0a1b2c3d4e5f60718" && output.msk_vpc_connection_arn == null
    error_message = "In the same account: a created security group, no multi-VPC connection."
  }

  assert {
    condition     = alltrue([for s in jsondecode(output.iam_policies.policy_stream).Statement : alltrue([for a in flatten([s.Action]) : a != "kafka-cluster:*" && !endswith(a, ":*")])])
    error_message = "No IAM statement may grant kafka-cluster:* (or any service wildcard)."
  }

  assert {
    condition = alltrue(flatten([
      for p in [output.iam_policies.authorizer, output.iam_policies.policy_stream] : [
        for s in jsondecode(p).Statement : !contains(flatten([s.Resource]), "*") || alltrue([for a in flatten([s.Action]) : startswith(a, "ec2:Describe")])
      ]
    ]))
    error_message = "Resource = \"*\" is allowed only for EC2 Describe* calls, which have no resource-level permissions."
  }

  assert {
    condition = toset(flatten([for s in jsondecode(output.iam_policies.policy_stream).Statement : flatten([s.Resource])])) == toset([
      "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3",
      "arn:aws:kafka:eu-west-1:123456789012:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-policy.v1",
      "arn:aws:kafka:eu-west-1:123456789012:group/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-authz-orders*",
      "arn:aws:kafka:eu-west-1:123456789012:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-status.v1",
    ])
    error_message = "The policy-stream grants must be scoped to the cluster, the policy topic (read), the status topic (write) and the dedicated group prefix."
  }

  assert {
    condition = toset(flatten([
      for s in jsondecode(output.iam_policies.policy_stream).Statement : flatten([s.Resource]) if contains(flatten([s.Action]), "kafka-cluster:WriteData")
    ])) == toset(["arn:aws:kafka:eu-west-1:123456789012:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-status.v1"])
    error_message = "The authorizer may write the status topic only, never the policy topic."
  }
}

run "policy_stream_across_accounts" {
  command = apply

  variables {
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:111122223333:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      bootstrap_brokers = "b-1.platform.abc.kafka.eu-west-1.amazonaws.com:14001"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
    }
  }

  assert {
    condition     = output.msk_vpc_connection_arn != null
    error_message = "Across accounts the module creates the multi-VPC connection."
  }

  assert {
    condition     = strcontains(output.msk_cluster_policy_json, "arn:aws:iam::123456789012:role/orders-authorizer") && strcontains(output.msk_cluster_policy_json, "kafka:CreateVpcConnection")
    error_message = "The cluster policy output must grant this account's authorizer role and the multi-VPC connection calls."
  }
}

run "policy_stream_across_accounts_without_vpc_connection" {
  command = apply

  variables {
    policy_stream = {
      cluster_arn           = "arn:aws:kafka:eu-west-1:111122223333:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      bootstrap_brokers     = "b-1.platform.abc.kafka.eu-west-1.amazonaws.com:14001"
      vpc_id                = "vpc-0123456789abcdef0"
      subnet_ids            = ["subnet-0123456789abcdef0"]
      create_vpc_connection = false
    }
  }

  assert {
    condition     = output.msk_vpc_connection_arn == null && output.security_group_id != null
    error_message = "create_vpc_connection = false keeps the connection out (it exists already)."
  }
}
