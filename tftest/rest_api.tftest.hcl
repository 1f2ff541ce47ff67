# modules/rest-api on its own: the resource tree, CUSTOM methods with the authorizer, NONE
# on public ones, identity sources with the route, and a permission scoped to this authorizer.

# The ids the permission assertions compare against, and the partition and ARNs the
# provider checks are ARNs (access-log group, CloudWatch Logs role); every other value is
# generated.
mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "r1s2t3", root_resource_id = "root00", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
  }
  mock_resource "aws_api_gateway_authorizer" {
    defaults = { id = "rauth1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders/access" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/gateway/orders-apigw-cloudwatch" }
  }
}

variables {
  name                 = "orders"
  rest_account_logging = "existing"
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
    "GET /orders/{id}/items/{item}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}/items/{item}" }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
      public      = true
    }
  }
}

run "methods_and_authorizer" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition     = toset(keys(local.resource_ids)) == toset(["/", "/health", "/orders", "/orders/{id}", "/orders/{id}/items", "/orders/{id}/items/{item}"])
    error_message = "The resource tree holds every prefix of every path."
  }

  assert {
    condition     = aws_api_gateway_resource.d2["/orders/{id}"].parent_id == aws_api_gateway_resource.d1["/orders"].id && aws_api_gateway_resource.d4["/orders/{id}/items/{item}"].path_part == "{item}"
    error_message = "Each resource hangs under its parent path."
  }

  assert {
    condition     = alltrue([for k, m in aws_api_gateway_method.this : m.authorization == "CUSTOM" && m.authorizer_id == aws_api_gateway_authorizer.this.id if !try(var.routes[k].public, false)])
    error_message = "Every non-public method must carry the Lambda authorizer."
  }

  assert {
    condition     = aws_api_gateway_method.this["GET /health"].authorization == "NONE" && aws_api_gateway_method.this["GET /health"].authorizer_id == null
    error_message = "A public method must carry no authorizer."
  }

  assert {
    condition     = aws_api_gateway_authorizer.this.type == "REQUEST" && aws_api_gateway_authorizer.this.authorizer_result_ttl_in_seconds == 0
    error_message = "The REST authorizer is REQUEST with TTL 0 by default (never the provider's 300)."
  }

  assert {
    condition     = strcontains(aws_api_gateway_authorizer.this.identity_source, "context.resourcePath") && strcontains(aws_api_gateway_authorizer.this.identity_source, "context.httpMethod")
    error_message = "REST identity sources include the method and resource path."
  }

  assert {
    condition     = aws_lambda_permission.authorizer.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/authorizers/rauth1"
    error_message = "The authorizer's permission is scoped to this API's authorizer (…/authorizers/{id})."
  }

  assert {
    condition     = aws_api_gateway_integration.this["POST /orders"].uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-create/invocations"
    error_message = "A Lambda integration calls the function through its invocation URI."
  }

  assert {
    condition     = aws_api_gateway_integration.this["GET /orders/{id}"].request_parameters == tomap({ "integration.request.path.id" = "method.request.path.id" })
    error_message = "Path parameters are passed to the HTTP backend."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 100 && aws_api_gateway_method_settings.route["POST /orders"].method_path == "~1orders/POST"
    error_message = "Stage-wide and per-method throttling are set."
  }
}

run "cloudwatch_role_gets_the_iam_guardrails" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    rest_account_logging = "create"
    iam = {
      permissions_boundary_arn = "arn:aws:iam::123456789012:policy/platform/team-boundary"
      role_path                = "/gateway/"
    }
  }

  assert {
    condition     = aws_iam_role.cloudwatch[0].path == "/gateway/" && aws_iam_role.cloudwatch[0].permissions_boundary == "arn:aws:iam::123456789012:policy/platform/team-boundary"
    error_message = "The API Gateway CloudWatch Logs role must carry iam's permissions boundary and path."
  }
}
