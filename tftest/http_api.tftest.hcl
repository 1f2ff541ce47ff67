# modules/http-api on its own: the authorizer on every protected route, none on public ones,
# identity sources that hold the token, method, path and route, and a permission scoped to
# this authorizer.

# The ids the permission assertions compare against, and an ARN for the access-log group
# (the provider checks it is one); every other value is generated.
mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = { id = "a1b2c3", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
  }
  mock_resource "aws_apigatewayv2_authorizer" {
    defaults = { id = "auth01" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders/access" }
  }
}

variables {
  name = "orders"
  authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
    "POST /orders" = {
      integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders-create" }
      throttling  = { burst_limit = 20, rate_limit = 10 }
    }
    "ANY /admin/{proxy+}" = {
      integration = { type = "http_proxy", uri = "https://admin.internal.example.com/{proxy}", method = "ANY" }
      timeout_ms  = 5000
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
      public      = true
    }
  }
}

run "routes_and_authorizer" {
  command = apply

  module {
    source = "./modules/http-api"
  }

  assert {
    condition     = alltrue([for k, r in aws_apigatewayv2_route.this : r.authorization_type == "CUSTOM" && r.authorizer_id == aws_apigatewayv2_authorizer.this.id if !try(var.routes[k].public, false)])
    error_message = "Every non-public route must carry the Lambda authorizer."
  }

  assert {
    condition     = aws_apigatewayv2_route.this["GET /health"].authorization_type == "NONE" && aws_apigatewayv2_route.this["GET /health"].authorizer_id == null
    error_message = "A public route must carry no authorizer."
  }

  assert {
    condition = (
      aws_apigatewayv2_authorizer.this.authorizer_type == "REQUEST" &&
      aws_apigatewayv2_authorizer.this.authorizer_payload_format_version == "2.0" &&
      aws_apigatewayv2_authorizer.this.enable_simple_responses == true &&
      aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 0
    )
    error_message = "The authorizer is REQUEST, payload 2.0, simple responses, TTL 0 by default (never the provider's 300)."
  }

  assert {
    condition     = contains(aws_apigatewayv2_authorizer.this.identity_sources, "$context.routeKey") && contains(aws_apigatewayv2_authorizer.this.identity_sources, "$request.header.Authorization")
    error_message = "Identity sources include the route key and the Authorization header."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/authorizers/auth01" && aws_lambda_permission.authorizer.function_name == "orders-authorizer" && aws_lambda_permission.authorizer.principal == "apigateway.amazonaws.com"
    error_message = "The authorizer's permission is scoped to this API's authorizer (…/authorizers/{id})."
  }

  assert {
    condition     = aws_lambda_permission.integration["arn:aws:lambda:eu-west-1:123456789012:function:orders-create"].source_arn == "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3/*/*" && length(aws_lambda_permission.integration) == 1
    error_message = "A Lambda integration gets a permission scoped to its own route."
  }

  assert {
    condition     = aws_apigatewayv2_integration.this["POST /orders"].integration_type == "AWS_PROXY" && aws_apigatewayv2_integration.this["GET /orders/{id}"].integration_type == "HTTP_PROXY" && aws_apigatewayv2_integration.this["ANY /admin/{proxy+}"].timeout_milliseconds == 5000
    error_message = "Integrations follow the route's type and timeout."
  }

  assert {
    condition     = aws_apigatewayv2_stage.this.default_route_settings[0].throttling_burst_limit == 200 && aws_apigatewayv2_stage.this.default_route_settings[0].throttling_rate_limit == 100
    error_message = "The stage has sane default throttling, never 0."
  }

  assert {
    condition     = one([for s in aws_apigatewayv2_stage.this.route_settings : s if s.route_key == "POST /orders"]).throttling_rate_limit == 10
    error_message = "Per-route throttling overrides the default."
  }

  assert {
    condition     = can(jsondecode(aws_apigatewayv2_stage.this.access_log_settings[0].format)) && aws_cloudwatch_log_group.access[0].retention_in_days == 30
    error_message = "Access logs are JSON lines in a log group with retention."
  }
}

run "cache_ttl_keeps_the_route_in_the_identity_sources" {
  command = apply

  module {
    source = "./modules/http-api"
  }

  variables {
    authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 300
    }
    cors = { allow_origins = ["https://app.example.com"] }
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
      "GET /health" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
        public      = true
      }
    }
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 300 && contains(aws_apigatewayv2_authorizer.this.identity_sources, "$context.routeKey")
    error_message = "With a cache TTL above 0 the route key must be an identity source: a cached allow for one route never opens another."
  }

  assert {
    condition     = aws_apigatewayv2_api.this.cors_configuration[0].allow_origins == toset(["https://app.example.com"])
    error_message = "CORS is configured on the HTTP API."
  }
}

# One Terraform route can cover several policy routes: `GET /orders/{id}` also carries
# `GET /orders/export`, which the policy (baked, or added later by the stream) may give a
# stricter scope. With a cache TTL, a cached allow for /orders/123 must not answer
# /orders/export: two requests share a cached answer only when token, method and path are
# all equal.
run "cached_allow_for_one_path_never_answers_another" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 300
    }
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
    }
  }

  assert {
    condition = alltrue([
      for source in ["$request.header.Authorization", "$context.httpMethod", "$context.path"] :
      contains(aws_apigatewayv2_authorizer.this.identity_sources, source)
    ])
    error_message = "With a cache TTL the identity sources must hold the token, the method and the request path: under GET /orders/{id} a cached allow for /orders/123 would otherwise answer /orders/export."
  }
}

# The same key for every route shape: literal, {param}, greedy {proxy+} and ANY routes all
# plan with a TTL, and their cached answers are per method and path.
run "cache_ttl_keys_every_route_shape_on_method_and_path" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    authorizer = {
      function_name      = "orders-authorizer"
      invoke_arn         = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
      result_ttl_seconds = 300
    }
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" }
      }
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
      "ANY /admin/{proxy+}" = {
        integration = { type = "http_proxy", uri = "https://admin.internal.example.com/{proxy}", method = "ANY" }
      }
      "GET /health" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
        public      = true
      }
    }
  }

  assert {
    condition = alltrue([
      for source in ["$request.header.Authorization", "$context.httpMethod", "$context.path", "$context.routeKey"] :
      contains(aws_apigatewayv2_authorizer.this.identity_sources, source)
    ])
    error_message = "Every route shape is cached per token, method, path and route key."
  }

  assert {
    condition     = aws_apigatewayv2_authorizer.this.authorizer_result_ttl_in_seconds == 300 && alltrue([for k, r in aws_apigatewayv2_route.this : r.authorization_type == (k == "GET /health" ? "NONE" : "CUSTOM")])
    error_message = "The TTL is the one asked for, and greedy and ANY routes keep the authorizer."
  }
}
