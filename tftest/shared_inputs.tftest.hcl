# modules/shared-inputs on its own: every rule of the inputs several submodules share
# refuses a bad value, one rule per run, and the defaults are filled in. The module has no
# resources and no provider, so these runs are plans of nothing but the checks.

variables {
  name = "orders"
  routes = {
    "GET /orders" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
    }
  }
  api_authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
}

run "valid_inputs_get_their_defaults" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
      "ANY /admin/{proxy+}" = {
        integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:admin" }
        public      = true
      }
    }
    cluster_arn        = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
    log_retention_days = { log_retention_days = 14 }
  }

  assert {
    condition     = output.routes["GET /orders/{id}"].timeout_ms == 29000 && output.routes["GET /orders/{id}"].public == false && output.routes["GET /orders/{id}"].throttling == null
    error_message = "A route gets timeout_ms 29000, public false and no throttling of its own by default."
  }

  assert {
    condition     = output.routes["GET /orders/{id}"].method == "GET" && output.routes["GET /orders/{id}"].path == "/orders/{id}" && tolist(output.routes["ANY /admin/{proxy+}"].params) == tolist(["proxy"]) && tolist(output.routes["ANY /admin/{proxy+}"].segments) == tolist(["admin", "{proxy+}"])
    error_message = "Each route is split into method, path, segments and path parameter names."
  }

  assert {
    condition     = output.stage_name == "v1" && output.throttling.burst_limit == 200 && output.throttling.rate_limit == 100
    error_message = "The stage is v1 with burst 200 / rate 100 by default, never 0."
  }

  assert {
    condition     = output.access_logs.enabled && output.access_logs.retention_days == 30 && output.access_logs.format == null
    error_message = "Access logs are on, kept 30 days, in the module's JSON format by default."
  }

  assert {
    condition     = output.api_authorizer.result_ttl_seconds == 0 && output.api_authorizer.identity_header == "Authorization"
    error_message = "The authorizer cache is off and the token is read from Authorization by default."
  }

  assert {
    condition     = output.iam.role_path == "/" && output.iam.permissions_boundary_arn == null
    error_message = "IAM roles get the path \"/\" and no permissions boundary by default."
  }
}

run "iam_guardrails_accept_a_boundary_and_a_path" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = {
      permissions_boundary_arn = "arn:aws:iam::123456789012:policy/platform/team-boundary"
      role_path                = "/gateway/orders/"
    }
  }

  assert {
    condition     = output.iam.role_path == "/gateway/orders/" && output.iam.permissions_boundary_arn == "arn:aws:iam::123456789012:policy/platform/team-boundary"
    error_message = "A boundary ARN and a nested path are accepted as given."
  }
}

run "name_must_be_a_lower_case_slug" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    name = "Orders_1"
  }

  expect_failures = [var.name]
}

run "api_id_must_be_a_policy_id" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    api_id = "orders' OR ApiId = 'payments"
  }

  expect_failures = [var.api_id]
}

run "topic_must_be_a_kafka_topic_name" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    topic = "policy topic"
  }

  expect_failures = [var.topic]
}

run "tags_must_not_use_the_aws_prefix" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    tags = { "aws:team" = "orders" }
  }

  expect_failures = [var.tags]
}

run "routes_must_not_be_empty" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {}
  }

  expect_failures = [var.routes]
}

run "route_key_must_name_a_known_method" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "FETCH /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "route_key_path_must_start_with_a_slash" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "route_key_braces_must_close" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders/{id" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "integration_type_must_be_known" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "grpc", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "http_proxy_uri_must_be_a_url" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "ftp://orders.internal.example.com" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "lambda_uri_must_be_a_function_arn" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "lambda", uri = "orders-create" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "integration_method_must_be_known" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders", method = "FETCH" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "route_timeout_must_be_in_range" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        timeout_ms  = 60000
      }
    }
  }

  expect_failures = [var.routes]
}

run "route_timeout_must_not_be_below_50" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        timeout_ms  = 10
      }
    }
  }

  expect_failures = [var.routes]
}

run "route_throttling_must_not_be_zero" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        throttling  = { burst_limit = 10, rate_limit = 0 }
      }
    }
  }

  expect_failures = [var.routes]
}

run "some_route_must_be_protected" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
        public      = true
      }
    }
  }

  expect_failures = [var.routes]
}

run "stage_name_must_be_a_slug" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    stage_name = "live stage"
  }

  expect_failures = [var.stage_name]
}

run "default_burst_must_not_be_zero" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    throttling = { burst_limit = 0 }
  }

  expect_failures = [var.throttling]
}

run "default_rate_must_not_be_zero" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    throttling = { rate_limit = 0 }
  }

  expect_failures = [var.throttling]
}

run "access_log_format_must_be_json" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    access_logs = { format = "$context.requestId $context.status" }
  }

  expect_failures = [var.access_logs]
}

run "log_retention_must_be_a_cloudwatch_value" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    log_retention_days = { "access_logs.retention_days" = 13 }
  }

  expect_failures = [var.log_retention_days]
}

run "authorizer_cache_ttl_must_be_at_most_an_hour" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    api_authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 7200
    }
  }

  expect_failures = [var.api_authorizer]
}

run "cluster_arn_must_name_a_cluster" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    cluster_arn = "arn:aws:kafka:eu-west-1:123456789012:topic/platform/x/y"
  }

  expect_failures = [var.cluster_arn]
}

run "iam_permissions_boundary_must_be_a_policy_arn" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = { permissions_boundary_arn = "arn:aws:iam::123456789012:role/team-boundary" }
  }

  expect_failures = [var.iam]
}

run "iam_permissions_boundary_must_not_be_a_name" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = { permissions_boundary_arn = "team-boundary" }
  }

  expect_failures = [var.iam]
}

run "iam_role_path_must_start_with_a_slash" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = { role_path = "gateway/" }
  }

  expect_failures = [var.iam]
}

run "iam_role_path_must_end_with_a_slash" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = { role_path = "/gateway" }
  }

  expect_failures = [var.iam]
}

run "iam_role_path_must_not_hold_spaces" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    iam = { role_path = "/my gateway/" }
  }

  expect_failures = [var.iam]
}
