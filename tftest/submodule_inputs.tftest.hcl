# Every rule a submodule keeps for its own inputs (each submodule is usable on its own)
# rejects a bad value; a run gives several variables one bad value each and expects exactly
# those to fail. The rules several submodules share (name, tags, routes, stage, throttling,
# access logs, log retention, the cache TTL, the cluster ARN, the policy's API id and topic,
# the IAM role guardrails) live in modules/shared-inputs and are tested in
# shared_inputs.tftest.hcl. Plans only, against a mocked AWS provider.

# Values the provider checks are ARNs or a CIDR block (tofu generates mock values during
# plan as well); every other value is generated.
mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = { execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/orders-authorizer" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:orders-gateway-policy:1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-authorizer" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.20.0.0/16" }
  }
}

run "authorizer_valid" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    name              = "orders"
    api_id            = "orders"
    baked_policy_json = <<-EOT
      {"schema": "gateway-policy/v1", "revision": 7, "apis": [{"id": "orders", "routes": []}]}
    EOT
    policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
    artifact          = { zip_path = "tftest/fixtures/bootstrap.zip" }
  }
}

run "authorizer_refuses_one_bad_value_per_input" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    name                 = "orders"
    api_id               = "orders"
    baked_policy_json    = "{not json"
    policy_layer         = {}
    artifact             = { zip_path = "a.zip", s3_bucket = "b", s3_key = "k" }
    architecture         = "amd64"
    memory_mb            = 100000
    timeout_s            = 0
    log_level            = "verbose"
    max_staleness_ms     = 1.5
    sync_budget_ms       = -1
    kms_key_arn          = "key"
    reserved_concurrency = -2
    tracing_mode         = "active"
    vpc_config           = { subnet_ids = [], security_group_ids = ["sg-0123456789abcdef0"] }
    policy_stream = {
      cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      topic        = "gateway-policy.v1"
      group_prefix = "gateway-authz-orders"
      brokers      = "b-1.platform"
    }
  }

  expect_failures = [
    var.baked_policy_json,
    var.policy_layer,
    var.artifact,
    var.architecture,
    var.memory_mb,
    var.timeout_s,
    var.log_level,
    var.max_staleness_ms,
    var.sync_budget_ms,
    var.kms_key_arn,
    var.reserved_concurrency,
    var.tracing_mode,
    var.vpc_config,
    var.policy_stream,
  ]
}

run "authorizer_refuses_a_second_bad_value_per_input" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    name              = "orders"
    api_id            = "orders"
    baked_policy_json = "{\"schema\": \"v0\"}"
    policy_layer      = { zip_path = "layer.tar.gz" }
    artifact          = { s3_key = "k.zip" }
    vpc_config        = { subnet_ids = ["subnet-0123456789abcdef0"], security_group_ids = [] }
    policy_stream = {
      cluster_arn            = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      topic                  = "gateway-policy.v1"
      group_prefix           = "gateway-authz-orders"
      tombstone_retention_ms = 0
    }
  }

  expect_failures = [
    var.baked_policy_json,
    var.policy_layer,
    var.artifact,
    var.vpc_config,
    var.policy_stream,
  ]
}

run "authorizer_artifact_zip_must_be_a_zip" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    name              = "orders"
    api_id            = "orders"
    baked_policy_json = "{\"schema\": \"gateway-policy/v1\", \"apis\": [{\"id\": \"orders\"}]}"
    policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
    artifact          = { zip_path = "dist/bootstrap" }
  }

  expect_failures = [
    var.artifact,
  ]
}

run "http_api_cors_needs_origins" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    name = "orders"
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
    cors = { allow_origins = [] }
  }

  expect_failures = [
    var.cors,
  ]
}

run "http_api_cors_credentials_need_explicit_origins" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    name = "orders"
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
    cors = { allow_origins = ["*"], allow_credentials = true }
  }

  expect_failures = [
    var.cors,
  ]
}

run "http_api_cors_max_age_in_range" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    name = "orders"
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
    cors = { allow_origins = ["https://app.example.com"], max_age = 100000 }
  }

  expect_failures = [
    var.cors,
  ]
}

run "rest_api_endpoint_type_must_be_regional_edge_or_private" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    name = "orders"
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
    endpoint_type = "INTERNAL"
  }

  expect_failures = [
    var.endpoint_type,
  ]
}

run "rest_api_path_has_at_most_6_segments" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    name = "orders"
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    routes = {
      "GET /a/b/c/d/e/f/g" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "msk_access_valid" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    name          = "orders"
    cluster_arn   = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
    group_prefix  = "gateway-authz-orders"
    vpc_id        = "vpc-0123456789abcdef0"
    subnet_ids    = ["subnet-0123456789abcdef0"]
    cross_account = false
  }
}

run "msk_access_refuses_one_bad_value_per_input" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    name                     = "orders"
    cluster_arn              = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
    group_prefix             = "gateway-*"
    vpc_id                   = "vpc_1"
    subnet_ids               = ["net-1"]
    cross_account            = false
    topic                    = "gateway-policy.v1"
    security_group_ids       = ["default"]
    broker_cidr_blocks       = ["0.0.0.0/0"]
    https_egress_cidr_blocks = ["anywhere"]
  }

  expect_failures = [
    var.group_prefix,
    var.vpc_id,
    var.subnet_ids,
    var.security_group_ids,
    var.broker_cidr_blocks,
    var.https_egress_cidr_blocks,
  ]
}
