# Every validation block of the submodules' variables (each is usable on its own) rejects a
# bad value. As in validation.tftest.hcl, a run gives several variables one bad value each
# and expects exactly those to fail. Plans only, against a mocked AWS provider.

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
    policy_layer      = { zip_path = "tests/fixtures/policy-layer.zip" }
    artifact          = { zip_path = "tests/fixtures/bootstrap.zip" }
  }
}

run "authorizer_bad_values_round_1" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    name                 = "-orders"
    api_id               = "orders/v1"
    baked_policy_json    = "{not json"
    policy_layer         = {}
    artifact             = { zip_path = "a.zip", s3_bucket = "b", s3_key = "k" }
    architecture         = "amd64"
    memory_mb            = 100000
    timeout_s            = 0
    log_level            = "verbose"
    max_staleness_ms     = 1.5
    sync_budget_ms       = -1
    log_retention_days   = 0
    kms_key_arn          = "key"
    reserved_concurrency = -2
    tracing_mode         = "active"
    vpc_config           = { subnet_ids = [], security_group_ids = ["sg-0123456789abcdef0"] }
    policy_stream = {
      cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform"
      topic        = "gateway-policy.v1"
      group_prefix = "gateway-authz-orders"
    }
  }

  expect_failures = [
    var.name,
    var.api_id,
    var.baked_policy_json,
    var.policy_layer,
    var.artifact,
    var.architecture,
    var.memory_mb,
    var.timeout_s,
    var.log_level,
    var.max_staleness_ms,
    var.sync_budget_ms,
    var.log_retention_days,
    var.kms_key_arn,
    var.reserved_concurrency,
    var.tracing_mode,
    var.vpc_config,
    var.policy_stream,
  ]
}

run "authorizer_bad_values_round_2" {
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

run "http_api_bad_values_round_1" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    name = "Orders API"
    authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 86400
    }
    routes     = {}
    stage_name = "v 1"
    throttling = { burst_limit = 0 }
  }

  expect_failures = [
    var.routes,
    var.name,
    var.stage_name,
    var.throttling,
    var.authorizer,
  ]
}

run "http_api_bad_values_round_2" {
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
      "GET /orders/{id" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "http_api_bad_values_round_3" {
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
        integration = { type = "websocket", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "http_api_bad_values_round_4" {
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
        integration = { type = "http_proxy", uri = "orders.internal.example.com" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "http_api_bad_values_round_5" {
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
        timeout_ms  = 10
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "http_api_bad_values_round_6" {
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
        throttling  = { burst_limit = 10, rate_limit = 0 }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_1" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    name = "Orders API"
    authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 86400
    }
    routes        = {}
    stage_name    = "v 1"
    throttling    = { burst_limit = 0 }
    endpoint_type = "PRIVATE"
  }

  expect_failures = [
    var.routes,
    var.name,
    var.stage_name,
    var.throttling,
    var.authorizer,
    var.endpoint_type,
  ]
}

run "rest_api_bad_values_round_2" {
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
      "GET /orders/{id" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_3" {
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
        integration = { type = "websocket", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_4" {
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
        integration = { type = "http_proxy", uri = "orders.internal.example.com" }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_5" {
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
        timeout_ms  = 10
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_6" {
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
        throttling  = { burst_limit = 10, rate_limit = 0 }
      }
    }
  }

  expect_failures = [
    var.routes,
  ]
}

run "rest_api_bad_values_round_7" {
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

run "msk_access_bad_values" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    name                     = "o"
    cluster_arn              = "arn:aws:kafka:eu-west-1:123456789012:topic/platform/x/y"
    group_prefix             = "gateway-*"
    vpc_id                   = "vpc_1"
    subnet_ids               = ["net-1"]
    cross_account            = false
    topic                    = "policy topic"
    security_group_ids       = ["default"]
    broker_cidr_blocks       = ["0.0.0.0/0"]
    https_egress_cidr_blocks = ["anywhere"]
  }

  expect_failures = [
    var.name,
    var.cluster_arn,
    var.topic,
    var.group_prefix,
    var.vpc_id,
    var.subnet_ids,
    var.security_group_ids,
    var.broker_cidr_blocks,
    var.https_egress_cidr_blocks,
  ]
}
