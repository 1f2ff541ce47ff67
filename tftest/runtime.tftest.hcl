# authorizer_runtime: the Rust binary on provided.al2023 (default) or the TypeScript build's
# bundle on nodejs22.x, each with its own released zip and the layer made for its runtime.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.20.0.0/16" }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = { id = "a1b2c3", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
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
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]}]}],
     "publishers": []}
  EOT
  policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
  }
  release_manifest_json = <<-EOT
    {"version": "1.4.0", "bucket": "acme-gateway-artifacts-{region}",
     "s3_key_prefix": "team-gateway/authorizer/1.4.0/",
     "source_code_hash": {"arm64": "QVJNNjQtaGFzaC1vZi10aGUtcmVsZWFzZWQtemlwLg==", "nodejs22.x": "Tk9ERS1oYXNoLW9mLXRoZS1yZWxlYXNlZC16aXAuLg=="}}
  EOT
}

run "rust_is_the_default" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap" && aws_lambda_function.this.s3_key == "team-gateway/authorizer/1.4.0/bootstrap-arm64.zip"
    error_message = "By default the Rust bootstrap runs on provided.al2023."
  }
}

run "nodejs_runs_the_typescript_bundle" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    runtime = "nodejs22.x"
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x" && aws_lambda_function.this.handler == "handler.handler"
    error_message = "nodejs22.x runs handler.handler of the TypeScript bundle."
  }

  assert {
    condition     = aws_lambda_function.this.s3_key == "team-gateway/authorizer/1.4.0/authorizer-nodejs22.x.zip" && aws_lambda_function.this.source_code_hash == "Tk9ERS1oYXNoLW9mLXRoZS1yZWxlYXNlZC16aXAuLg=="
    error_message = "The released bundle zip and its pinned hash."
  }

  assert {
    condition     = aws_lambda_layer_version.policy.compatible_runtimes == toset(["nodejs22.x"])
    error_message = "The policy layer is made for the function's runtime."
  }

  assert {
    condition     = aws_lambda_function.this.environment[0].variables["AUTHZ_POLICY_FILE"] == "/opt/gateway-policy.json" && aws_lambda_function.this.environment[0].variables["AUTHZ_API_ID"] == "orders"
    error_message = "The TypeScript handler reads the same environment as the Rust bootstrap."
  }
}

run "nodejs_with_own_zip" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    runtime  = "nodejs22.x"
    artifact = { zip_path = "tftest/fixtures/bootstrap.zip" }
  }

  assert {
    condition     = aws_lambda_function.this.filename == "tftest/fixtures/bootstrap.zip" && aws_lambda_function.this.runtime == "nodejs22.x"
    error_message = "A team's own bundle zip replaces the release."
  }
}

run "unknown_runtime_is_refused" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    runtime = "python3.13"
  }

  expect_failures = [var.runtime]
}

run "nodejs_follows_the_policy_stream_as_rust_does" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    runtime  = "nodejs22.x"
    artifact = { zip_path = "tftest/fixtures/bootstrap.zip" }
    policy_stream = {
      cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/central/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9-1"
      topic        = "gateway-policy.v1"
      brokers      = "b-1.central.kafka.eu-west-1.amazonaws.com:9098"
      group_prefix = "gateway-authz-orders"
      status_topic = "gateway-status.v1"
    }
  }

  # The TypeScript build reads the same variables as the Rust one (authorizer-ts/src/config.ts).
  assert {
    condition = alltrue([
      for k, v in {
        AUTHZ_KAFKA_TOPIC     = "gateway-policy.v1"
        AUTHZ_KAFKA_AUTH      = "msk-iam"
        AUTHZ_KAFKA_BROKERS   = "b-1.central.kafka.eu-west-1.amazonaws.com:9098"
        AUTHZ_MSK_CLUSTER_ARN = "arn:aws:kafka:eu-west-1:123456789012:cluster/central/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9-1"
        AUTHZ_STATUS_TOPIC    = "gateway-status.v1"
      } : aws_lambda_function.this.environment[0].variables[k] == v
    ])
    error_message = "nodejs22.x gets the policy stream's and the status topic's variables."
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "nodejs22.x" && aws_lambda_function.this.handler == "handler.handler"
    error_message = "nodejs22.x with a policy stream still runs the TypeScript bundle."
  }
}
