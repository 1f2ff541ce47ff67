# Every validation block of the root module's variables rejects a bad value. Each run gives
# several variables one bad value each (a value that breaks exactly one validation block of
# that variable) and expects exactly those variables to fail: all validations are checked
# in a handful of plans. Plans only, against a mocked AWS provider.

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
  mock_resource "aws_api_gateway_authorizer" {
    defaults = { id = "rauth1" }
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
  policy_layer      = { zip_path = "tests/fixtures/policy-layer.zip" }
  authorizer_artifact = {
    zip_path = "tests/fixtures/bootstrap.zip"
  }
  routes = {
    "GET /orders" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
    }
  }
}

run "valid_inputs_plan" {
  command = plan
}

run "bad_values_round_1" {
  command = plan

  variables {
    # name_must_be_a_lower_case_slug
    name = "Orders_1"

    # api_id_must_be_an_id
    api_id = "orders api!"

    # api_type_must_be_http_or_rest
    api_type = "graphql"

    # routes_must_not_be_empty
    routes = {}

    # stage_name_must_be_a_slug
    stage_name = "live stage"

    # default_burst_must_not_be_zero
    throttling = { burst_limit = 0 }

    # cors_needs_origins
    cors = { allow_origins = [] }

    # access_log_retention_must_be_accepted
    access_logs = { retention_days = 13 }

    # tags_must_not_use_the_aws_prefix
    tags = { "aws:team" = "orders" }

    # baked_policy_must_be_json
    baked_policy_json = "schema: gateway-policy/v1"

    # policy_layer_needs_exactly_one_source
    policy_layer = { zip_path = "tests/fixtures/policy-layer.zip", s3_bucket = "b", s3_key = "k.zip" }

    # authorizer_architecture
    authorizer = { architecture = "arm" }

    # artifact_zip_or_s3_not_both
    authorizer_artifact = { zip_path = "tests/fixtures/bootstrap.zip", s3_bucket = "b", s3_key = "k.zip" }

    # stream_cluster_arn
    policy_stream = {
      cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:topic/platform/x/y"
      vpc_id      = "vpc-0123456789abcdef0"
      subnet_ids  = ["subnet-0123456789abcdef0"]
    }
  }

  expect_failures = [
    var.name,
    var.api_id,
    var.api_type,
    var.routes,
    var.stage_name,
    var.throttling,
    var.cors,
    var.access_logs,
    var.tags,
    var.baked_policy_json,
    var.policy_layer,
    var.authorizer,
    var.authorizer_artifact,
    var.policy_stream,
  ]
}

run "bad_values_round_2" {
  command = plan

  variables {
    # route_key_must_be_method_and_path
    routes = {
      "FETCH /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }

    # default_rate_must_not_be_zero
    throttling = { rate_limit = 0 }

    # cors_credentials_need_explicit_origins
    cors = { allow_origins = ["*"], allow_credentials = true }

    # access_log_format_must_be_json
    access_logs = { format = "$context.requestId $context.status" }

    # baked_policy_must_be_v1
    baked_policy_json = "{\"schema\": \"gateway-policy/v2\", \"apis\": [{\"id\": \"orders\"}]}"

    # policy_layer_zip_must_be_a_zip
    policy_layer = { zip_path = "tests/fixtures/policy.json" }

    # authorizer_memory
    authorizer = { memory_mb = 64 }

    # artifact_s3_bucket_needs_key
    authorizer_artifact = { s3_bucket = "platform-artifacts" }

    # stream_topic
    policy_stream = {
      cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id      = "vpc-0123456789abcdef0"
      subnet_ids  = ["subnet-0123456789abcdef0"]
      topic       = "gateway policy"
    }
  }

  expect_failures = [
    var.routes,
    var.throttling,
    var.cors,
    var.access_logs,
    var.baked_policy_json,
    var.policy_layer,
    var.authorizer,
    var.authorizer_artifact,
    var.policy_stream,
  ]
}

run "bad_values_round_3" {
  command = plan

  variables {
    # route_key_path_must_start_with_a_slash
    routes = {
      "GET orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }

    # cors_max_age_in_range
    cors = { allow_origins = ["https://app.example.com"], max_age = 100000 }

    # authorizer_timeout
    authorizer = { timeout_s = 30 }

    # artifact_zip_must_be_a_zip
    authorizer_artifact = { zip_path = "dist/bootstrap" }

    # stream_brokers
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
      bootstrap_brokers = "b-1.platform"
    }
  }

  expect_failures = [
    var.routes,
    var.cors,
    var.authorizer,
    var.authorizer_artifact,
    var.policy_stream,
  ]
}

run "bad_values_round_4" {
  command = plan

  variables {
    # integration_type_must_be_known
    routes = {
      "GET /orders" = {
        integration = { type = "grpc", uri = "https://orders.internal.example.com/orders" }
      }
    }

    # authorizer_log_level
    authorizer = { log_level = "trace" }

    # stream_brokers_or_lookup
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
      bootstrap_brokers = "b-1.platform:9098"
      lookup_brokers    = true
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_5" {
  command = plan

  variables {
    # http_proxy_uri_must_be_a_url
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "ftp://orders.internal.example.com" }
      }
    }

    # authorizer_max_staleness
    authorizer = { max_staleness_ms = -1 }

    # stream_vpc_id
    policy_stream = {
      cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id      = "my-vpc"
      subnet_ids  = ["subnet-0123456789abcdef0"]
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_6" {
  command = plan

  variables {
    # lambda_uri_must_be_a_function_arn
    routes = {
      "GET /orders" = {
        integration = { type = "lambda", uri = "orders-create" }
      }
    }

    # authorizer_sync_budget
    authorizer = { sync_budget_ms = 10000 }

    # stream_subnets
    policy_stream = {
      cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id      = "vpc-0123456789abcdef0"
      subnet_ids  = []
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_7" {
  command = plan

  variables {
    # integration_method_must_be_known
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders", method = "FETCH" }
      }
    }

    # authorizer_cache_ttl
    authorizer = { result_ttl_seconds = 7200 }

    # stream_security_groups
    policy_stream = {
      cluster_arn        = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id             = "vpc-0123456789abcdef0"
      subnet_ids         = ["subnet-0123456789abcdef0"]
      security_group_ids = ["default"]
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_8" {
  command = plan

  variables {
    # route_timeout_must_be_in_range
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        timeout_ms  = 60000
      }
    }

    # authorizer_log_retention
    authorizer = { log_retention_days = 13 }

    # stream_broker_cidrs
    policy_stream = {
      cluster_arn        = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id             = "vpc-0123456789abcdef0"
      subnet_ids         = ["subnet-0123456789abcdef0"]
      broker_cidr_blocks = ["0.0.0.0/0"]
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_9" {
  command = plan

  variables {
    # route_throttling_must_not_be_zero
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        throttling  = { burst_limit = 0, rate_limit = 0 }
      }
    }

    # authorizer_kms_key
    authorizer = { kms_key_arn = "alias/logs" }

    # stream_group_prefix
    policy_stream = {
      cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id       = "vpc-0123456789abcdef0"
      subnet_ids   = ["subnet-0123456789abcdef0"]
      group_prefix = "gateway-*"
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_10" {
  command = plan

  variables {
    # some_route_must_be_protected
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        public      = true
      }
    }

    # authorizer_reserved_concurrency
    authorizer = { reserved_concurrency = -5 }

    # stream_tombstone_retention
    policy_stream = {
      cluster_arn            = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id                 = "vpc-0123456789abcdef0"
      subnet_ids             = ["subnet-0123456789abcdef0"]
      tombstone_retention_ms = 0
    }
  }

  expect_failures = [
    var.routes,
    var.authorizer,
    var.policy_stream,
  ]
}

run "bad_values_round_11" {
  command = plan

  variables {
    # authorizer_tracing_mode
    authorizer = { tracing_mode = "On" }
  }

  expect_failures = [
    var.authorizer,
  ]
}
