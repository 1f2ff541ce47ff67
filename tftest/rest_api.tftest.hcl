# modules/rest-api on its own: the OpenAPI document (paths, operations with the authorizer's
# security scheme, none on public ones, integrations, identity sources with the route), the
# deployment it triggers, and a permission scoped to this API's authorizers.

# The ids the permission assertions compare against, and the partition and ARNs the
# provider checks are ARNs (access-log group, CloudWatch Logs role, stage); every other
# value is generated.
mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "r1s2t3", root_resource_id = "root00", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
  }
  mock_data "aws_api_gateway_authorizers" {
    defaults = { ids = ["rauth1"] }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders/access" }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = { arn = "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1" }
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
    condition     = toset(keys(jsondecode(aws_api_gateway_rest_api.this.body).paths)) == toset(["/health", "/orders", "/orders/{id}", "/orders/{id}/items/{item}"])
    error_message = "The document holds one path per route path."
  }

  assert {
    condition     = toset(keys(local.resource_ids)) == toset(["/", "/health", "/orders", "/orders/{id}", "/orders/{id}/items", "/orders/{id}/items/{item}"])
    error_message = "resource_ids holds every prefix of every path."
  }

  assert {
    condition = alltrue([for k, r in var.routes : (
      try(r.public, false)
      ? !can(jsondecode(aws_api_gateway_rest_api.this.body).paths[split(" ", k)[1]][lower(split(" ", k)[0])].security)
      : jsondecode(aws_api_gateway_rest_api.this.body).paths[split(" ", k)[1]][lower(split(" ", k)[0])].security == [{ "orders-authorizer" = [] }]
    )])
    error_message = "Every non-public operation must carry the Lambda authorizer's security scheme, a public one none."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authtype"] == "custom" &&
      jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].type == "request" &&
      jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].authorizerResultTtlInSeconds == 0 &&
      jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].authorizerUri == var.authorizer.invoke_arn
    )
    error_message = "The REST authorizer is REQUEST with TTL 0 by default (never API Gateway's 300)."
  }

  assert {
    condition = (
      strcontains(jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].identitySource, "method.request.header.Authorization") &&
      strcontains(jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].identitySource, "context.resourcePath") &&
      strcontains(jsondecode(aws_api_gateway_rest_api.this.body).components.securitySchemes["orders-authorizer"]["x-amazon-apigateway-authorizer"].identitySource, "context.httpMethod")
    )
    error_message = "REST identity sources include the token header, the method and the resource path."
  }

  assert {
    condition     = aws_lambda_permission.authorizers.source_arn == "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/authorizers/*" && output.authorizer_id == "rauth1"
    error_message = "The authorizer's permission is scoped to this API's authorizers (…/authorizers/*); authorizer_id is the document's authorizer."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders"].post["x-amazon-apigateway-integration"].type == "aws_proxy" &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders"].post["x-amazon-apigateway-integration"].httpMethod == "POST" &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders"].post["x-amazon-apigateway-integration"].uri == "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-create/invocations"
    )
    error_message = "A Lambda integration calls the function through its invocation URI."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].type == "http_proxy" &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].connectionType == "INTERNET" &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].timeoutInMillis == 29000 &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].requestParameters == { "integration.request.path.id" = "method.request.path.id" } &&
      jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}"].get.parameters == [{ name = "id", in = "path", required = true, schema = { type = "string" } }]
    )
    error_message = "Path parameters are method request parameters passed to the HTTP backend."
  }

  assert {
    condition     = output.routes["GET /health"].authorization_type == "NONE" && output.routes["GET /health"].authorizer_id == null && output.routes["POST /orders"].authorization_type == "CUSTOM" && output.routes["POST /orders"].authorizer_id == "rauth1"
    error_message = "The routes output gives each route's authorization and authorizer."
  }

  assert {
    condition     = aws_api_gateway_method_settings.all.settings[0].throttling_rate_limit == 100 && aws_api_gateway_method_settings.route["POST /orders"].method_path == "~1orders/POST"
    error_message = "Stage-wide and per-method throttling are set."
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.put_rest_api_mode == "overwrite"
    error_message = "The document replaces the API (overwrite): a route it no longer holds is deleted."
  }
}

run "per_route_throttling_keys_escape_slashes" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
        throttling  = { burst_limit = 5, rate_limit = 2 }
      }
      "ANY /orders/{id}/items/{proxy+}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}/items/{proxy}" }
        throttling  = { burst_limit = 5, rate_limit = 2 }
      }
    }
  }

  assert {
    condition     = aws_api_gateway_method_settings.route["GET /orders/{id}"].method_path == "~1orders~1{id}/GET" && aws_api_gateway_method_settings.route["ANY /orders/{id}/items/{proxy+}"].method_path == "~1orders~1{id}~1items~1{proxy+}/*"
    error_message = "Method-settings keys escape every \"/\" of the path as \"~1\" (ANY: *)."
  }

  assert {
    condition     = can(jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}/items/{proxy+}"]["x-amazon-apigateway-any-method"]) && jsondecode(aws_api_gateway_rest_api.this.body).paths["/orders/{id}/items/{proxy+}"]["x-amazon-apigateway-any-method"].parameters[1].name == "proxy"
    error_message = "ANY is x-amazon-apigateway-any-method; a greedy variable is a path parameter without its +."
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

run "gateway_responses_share_one_error_format" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition = toset(keys(jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"])) == toset([
      "ACCESS_DENIED", "UNAUTHORIZED", "AUTHORIZER_FAILURE", "AUTHORIZER_CONFIGURATION_ERROR", "THROTTLED",
      "INTEGRATION_FAILURE", "INTEGRATION_TIMEOUT", "DEFAULT_4XX", "DEFAULT_5XX",
    ])
    error_message = "Authorizer denies and failures, throttles, integration errors and every other 4XX/5XX get the module's error format."
  }

  assert {
    condition     = alltrue([for r in jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"] : toset(keys(r.responseTemplates)) == toset(["application/json"]) && toset(keys(jsondecode(r.responseTemplates["application/json"]))) == toset(["message", "requestId"]) && jsondecode(r.responseTemplates["application/json"]).requestId == "$context.requestId"])
    error_message = "Every gateway response body is JSON with a message and the request id."
  }

  assert {
    condition     = alltrue([for r in jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"] : !strcontains(r.responseTemplates["application/json"], "$context.authorizer") && !strcontains(r.responseTemplates["application/json"], "$context.error") && length(regexall("\\$", r.responseTemplates["application/json"])) == 1])
    error_message = "A gateway response body carries the request id only: no authorizer context and no error message, which would tell why a token failed."
  }

  assert {
    condition = (
      jsondecode(jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].ACCESS_DENIED.responseTemplates["application/json"]).message == "Forbidden" &&
      jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].ACCESS_DENIED.statusCode == 403 &&
      jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].UNAUTHORIZED.statusCode == 401 &&
      jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].THROTTLED.statusCode == 429
    )
    error_message = "Denies answer 403 Forbidden, a missing token 401, throttles 429."
  }

  assert {
    condition     = !can(jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].DEFAULT_4XX.statusCode) && !can(jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"].DEFAULT_5XX.statusCode)
    error_message = "DEFAULT_4XX and DEFAULT_5XX keep each response's own status."
  }

  assert {
    condition     = alltrue([for r in jsondecode(aws_api_gateway_rest_api.this.body)["x-amazon-apigateway-gateway-responses"] : !can(r.responseParameters)])
    error_message = "Without cors the gateway responses carry no CORS headers."
  }
}

run "stage_behind_a_waf_web_acl" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  assert {
    condition     = aws_wafv2_web_acl_association.this[0].resource_arn == aws_api_gateway_stage.this.arn && aws_wafv2_web_acl_association.this[0].web_acl_arn == "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
    error_message = "waf_web_acl_arn associates the web ACL with the stage."
  }

  assert {
    condition     = output.stage_arn == "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1"
    error_message = "The stage's ARN is an output."
  }
}

run "no_waf_web_acl_by_default" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition     = length(aws_wafv2_web_acl_association.this) == 0
    error_message = "Without waf_web_acl_arn the stage has no web ACL association."
  }
}

run "waf_web_acl_must_be_regional" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:us-east-1:123456789012:global/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  expect_failures = [var.waf_web_acl_arn]
}

run "waf_web_acl_must_be_an_arn" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    waf_web_acl_arn = "platform-api"
  }

  expect_failures = [var.waf_web_acl_arn]
}

# PRIVATE endpoint: the API is attached to the listed VPC endpoints and gets a resource
# policy that allows execute-api:Invoke only through them; the deployment waits for it.
run "private_endpoint_with_vpce_policy" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    resource_policy_statements = [
      { Sid = "DenyDelete", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/*/DELETE/*" },
    ]
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.endpoint_configuration[0].types == tolist(["PRIVATE"]) && toset(aws_api_gateway_rest_api.this.endpoint_configuration[0].vpc_endpoint_ids) == toset(["vpce-0123456789abcdef0"])
    error_message = "A PRIVATE API must be attached to the given VPC endpoints."
  }

  assert {
    condition     = length(aws_api_gateway_rest_api_policy.this) == 1
    error_message = "A PRIVATE API needs a resource policy."
  }

  assert {
    condition = (
      jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement[0].Effect == "Deny" &&
      jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement[0].Condition.StringNotEquals["aws:SourceVpce"] == ["vpce-0123456789abcdef0"] &&
      jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement[0].Resource == "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/*" &&
      jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement[2].Sid == "DenyDelete"
    )
    error_message = "The resource policy must deny execute-api:Invoke outside the VPC endpoints and append the extra statements."
  }

  # API Gateway allows a request that the authorizer's answer or the resource policy allows
  # and neither denies: an Allow on anything but the public routes' exact ARNs would let a
  # request through that the authorizer is silent on.
  assert {
    condition = alltrue([
      for st in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement :
      st.Effect == "Deny" || (st.Sid == "AllowPublicRoutes" && st.Resource == ["arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/v1/GET/health"])
    ])
    error_message = "The resource policy may allow only the public routes' exact ARNs."
  }
}

run "private_public_any_route_is_allowed_per_method" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    routes = {
      "GET /orders/{id}" = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" } }
      "ANY /"            = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/" }, public = true }
    }
  }

  assert {
    condition = alltrue([
      for st in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement :
      st.Effect == "Deny" || try(st.Sid == "AllowPublicRoutes" && length(st.Resource) == 7 && alltrue([for r in st.Resource : endswith(r, "/")]) && contains(st.Resource, "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/v1/GET/"), false)
    ]) && length(jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement) == 2
    error_message = "ANY on a public route is allowed method by method on its exact path, never with a wildcard."
  }
}

run "private_public_route_with_path_variable_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    routes = {
      "GET /orders/{id}"        = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }, public = true }
      "GET /orders/{id}/secret" = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}/secret" } }
    }
  }

  expect_failures = [
    aws_api_gateway_rest_api.this,
  ]
}

run "private_allow_statements_are_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    resource_policy_statements = [
      { Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*" },
    ]
  }

  expect_failures = [
    var.resource_policy_statements,
  ]
}

run "regional_endpoint_has_no_resource_policy" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition     = length(aws_api_gateway_rest_api_policy.this) == 0
    error_message = "A REGIONAL API gets no resource policy from the module."
  }

  assert {
    condition     = !contains(keys(jsondecode(output.body)), "x-amazon-apigateway-policy")
    error_message = "The document of a REGIONAL API carries no resource policy."
  }
}

run "private_endpoint_without_vpce_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type = "PRIVATE"
  }

  expect_failures = [
    aws_api_gateway_rest_api.this,
  ]
}

run "vpce_ids_with_regional_endpoint_are_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
  }

  expect_failures = [
    aws_api_gateway_rest_api.this,
  ]
}

run "vpce_ids_must_be_endpoint_ids" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpc-0123456789abcdef0"]
  }

  expect_failures = [
    var.vpc_endpoint_ids,
  ]
}
