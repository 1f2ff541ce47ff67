# Configurations that the mocked provider (and moto) accept but real AWS rejects or runs
# wrongly: each run is one such defect, refused with a clear message or made to work.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # A region name the module must not use: provider 6.x deprecates aws_region's `name`;
  # the region comes from the ARNs of the module's own resources instead.
  mock_data "aws_region" {
    defaults = { name = "deprecated-name" }
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
  name                = "orders"
  api_id              = "orders"
  baked_policy_json   = <<-EOT
    {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                                         {"route": "GET /health", "public": true}]}],
     "publishers": []}
  EOT
  policy_layer        = { zip_path = "tftest/fixtures/policy-layer.zip" }
  authorizer_artifact = { zip_path = "tftest/fixtures/bootstrap.zip" }
  artifact            = { zip_path = "tftest/fixtures/bootstrap.zip" }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
      public      = true
    }
  }
  authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
}

# Run-time broker discovery calls the MSK API over HTTPS; the security group the module
# creates reaches the brokers only, so the function would never find them.
run "policy_stream_without_brokers_is_refused" {
  command = plan

  variables {
    authorizer = {}
    policy_stream = {
      cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/central/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9-1"
      vpc_id      = "vpc-0a1b2c3d"
      subnet_ids  = ["subnet-0a1b2c3d"]
    }
  }

  expect_failures = [var.policy_stream]
}

# With security groups of the team's own (which may allow HTTPS to a VPC endpoint), run-time
# discovery stays possible.
run "policy_stream_discovery_with_own_security_groups" {
  command = plan

  variables {
    authorizer = {}
    policy_stream = {
      cluster_arn        = "arn:aws:kafka:eu-west-1:123456789012:cluster/central/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9-1"
      vpc_id             = "vpc-0a1b2c3d"
      subnet_ids         = ["subnet-0a1b2c3d"]
      security_group_ids = ["sg-0123456789abcdef0"]
    }
  }
}

run "active_tracing_grants_xray" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    tracing_mode = "Active"
  }

  assert {
    condition = anytrue([for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
    toset(s.Action) == toset(["xray:PutTraceSegments", "xray:PutTelemetryRecords"]) && s.Effect == "Allow"])
    error_message = "tracing_mode = Active needs xray:PutTraceSegments and xray:PutTelemetryRecords on the role."
  }
}

run "passthrough_tracing_grants_no_xray" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  assert {
    condition     = !strcontains(aws_iam_role_policy.this.policy, "xray:")
    error_message = "Without active tracing the role has no X-Ray rights."
  }
}

run "region_comes_from_the_function_log_group_not_the_deprecated_attribute" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    vpc_config = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["sg-0a1b2c3d"] }
  }

  assert {
    condition     = strcontains(aws_iam_role_policy.this.policy, "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0a1b2c3d") && !strcontains(aws_iam_role_policy.this.policy, "deprecated-name")
    error_message = "The ENI statements name the function's region, not data.aws_region's deprecated name."
  }
}

run "reserved_concurrency_zero_is_refused" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    reserved_concurrency = 0
  }

  expect_failures = [var.reserved_concurrency]
}

run "s3_artifact_without_version_or_hash_is_refused" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    artifact = { s3_bucket = "platform-artifacts-eu-west-1", s3_key = "authorizer/bootstrap-arm64.zip" }
  }

  expect_failures = [var.artifact]
}

run "s3_artifact_with_hash_is_accepted" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    artifact = {
      s3_bucket        = "platform-artifacts-eu-west-1"
      s3_key           = "authorizer/bootstrap-arm64.zip"
      source_code_hash = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
    }
  }
}

run "greedy_segment_not_last_is_refused" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /{proxy+}/tail" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/{proxy}" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "rest_sibling_path_variables_with_different_names_are_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    rest_account_logging = "existing"
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
      "GET /orders/{orderId}/items" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{orderId}/items" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "rest_method_paths_escape_slashes" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  variables {
    rest_account_logging = "existing"
    routes = {
      "GET /" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/" }
        throttling  = { burst_limit = 5, rate_limit = 5 }
      }
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
        throttling  = { burst_limit = 10, rate_limit = 10 }
      }
      "ANY /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        throttling  = { burst_limit = 10, rate_limit = 10 }
      }
    }
  }

  assert {
    condition = (aws_api_gateway_method_settings.route["GET /"].method_path == "~1/GET"
      && aws_api_gateway_method_settings.route["GET /orders/{id}"].method_path == "~1orders~1{id}/GET"
    && aws_api_gateway_method_settings.route["ANY /orders"].method_path == "~1orders/*")
    error_message = "API Gateway's method settings keys escape each '/' of the resource path as ~1."
  }
}

# REST access logs need the account's API Gateway CloudWatch Logs role, which a fresh
# account lacks: the team says whether it exists or the module creates it.
run "rest_access_logs_need_an_account_logging_decision" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  expect_failures = [aws_api_gateway_stage.this]
}

run "rest_access_logs_with_account_role_created" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  variables {
    rest_account_logging = "create"
  }

  assert {
    condition     = length(aws_api_gateway_account.this) == 1 && aws_api_gateway_account.this[0].cloudwatch_role_arn == aws_iam_role.cloudwatch[0].arn
    error_message = "rest_account_logging = create sets the account's CloudWatch Logs role."
  }

  assert {
    condition     = strcontains(aws_iam_role_policy_attachment.cloudwatch[0].policy_arn, "AmazonAPIGatewayPushToCloudWatchLogs")
    error_message = "The account role carries AWS's managed push-to-CloudWatch policy."
  }
}

run "rest_without_access_logs_needs_no_account_role" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    access_logs = { enabled = false }
  }
}

run "http_lambda_permissions_one_per_function" {
  command = apply

  module {
    source = "./modules/http-api"
  }

  variables {
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders" }
      }
      "POST /orders" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders" }
      }
      "DELETE /orders/{id}" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders-admin" }
      }
    }
  }

  assert {
    condition     = length(aws_lambda_permission.integration) == 2
    error_message = "One Lambda permission per integrated function, not one per route."
  }

  assert {
    condition     = alltrue([for p in aws_lambda_permission.integration : p.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/*/*"])
    error_message = "Each permission is scoped to this API."
  }
}

run "rest_lambda_permissions_one_per_function" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  variables {
    rest_account_logging = "existing"
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders" }
      }
      "POST /orders" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders" }
      }
    }
  }

  assert {
    condition     = length(aws_lambda_permission.integration) == 1
    error_message = "One Lambda permission per integrated function, not one per route."
  }
}
