# IAM guardrails on the root module: `iam` reaches every role the module creates (the
# authorizer's execution role and, REST with rest_account_logging = "create", the API
# Gateway CloudWatch Logs role), and the cluster policy names the authorizer's role by its
# ARN with that path. Each role's attributes: authorizer.tftest.hcl and rest_api.tftest.hcl;
# the rules: shared_inputs.tftest.hcl. Runs against a mocked AWS provider.

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

run "defaults_keep_the_root_path_and_no_boundary" {
  command = plan

  variables {
    api_type             = "rest"
    rest_account_logging = "create"
  }

  assert {
    condition     = module.authorizer.role_path == "/"
    error_message = "Without iam, roles keep the path \"/\"."
  }
}

run "every_role_gets_the_boundary_and_the_path" {
  command = apply

  variables {
    api_type             = "rest"
    rest_account_logging = "create"
    iam = {
      permissions_boundary_arn = "arn:aws:iam::123456789012:policy/platform/team-boundary"
      role_path                = "/gateway/"
    }
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:111122223333:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      bootstrap_brokers = "b-1.platform.abc.kafka.eu-west-1.amazonaws.com:14001"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
    }
  }

  assert {
    condition     = module.authorizer.role_path == "/gateway/"
    error_message = "The root passes iam to the authorizer's role."
  }

  assert {
    condition     = strcontains(output.msk_cluster_policy_json, "arn:aws:iam::123456789012:role/gateway/orders-authorizer")
    error_message = "The cluster policy must name the authorizer role by its ARN, path included."
  }
}
