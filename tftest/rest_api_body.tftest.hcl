# modules/rest-api defines the API from one OpenAPI document (body): a removed route is gone
# from the document and the stage gets a new deployment; CORS (MOCK preflights, headers on
# the gateway responses); the rules of the module used on its own.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_api_gateway_authorizers" {
    defaults = { ids = ["rauth1"] }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "r1s2t3", root_resource_id = "root00", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
  }
  mock_resource "aws_api_gateway_vpc_link" {
    defaults = { id = "rvl001" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders/access" }
  }
  mock_resource "aws_api_gateway_stage" {
    defaults = { arn = "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1" }
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
    "DELETE /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/health" }
      public      = true
    }
  }
}

run "before_the_removal" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition     = toset(keys(jsondecode(output.body).paths["/orders/{id}"])) == toset(["get", "delete"])
    error_message = "Both methods of /orders/{id} are in the document."
  }

  assert {
    condition     = aws_api_gateway_deployment.document.triggers.redeployment == sha1(jsonencode([output.body, "REGIONAL", [], null]))
    error_message = "The deployment's trigger is the document plus the endpoint and the resource policy."
  }
}

# The same API without DELETE /orders/{id}: the method is gone from the document (the PUT
# in overwrite mode deletes it) and the stage gets a new deployment in the same apply.
run "removed_route_is_gone_and_redeployed" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  variables {
    # not an input of the module: the trigger the first run recorded, for the assertion
    trigger_before = run.before_the_removal.deployment_trigger
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
    condition     = toset(keys(jsondecode(output.body).paths["/orders/{id}"])) == toset(["get"]) && !strcontains(output.body, "\"delete\"")
    error_message = "The removed route is gone from the document."
  }

  # The trigger is the document plus the endpoint and the resource policy: the document
  # lost a method, so the trigger changed, which replaces the deployment.
  assert {
    condition     = output.deployment_trigger != var.trigger_before
    error_message = "A changed document triggers a new deployment."
  }

  assert {
    condition     = aws_api_gateway_deployment.document.triggers.redeployment == sha1(jsonencode([output.body, "REGIONAL", [], null]))
    error_message = "The deployment's trigger is the document plus the endpoint and the resource policy."
  }
}

run "cors_one_origin" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    cors = { allow_origins = ["https://app.example.com"], allow_credentials = true, expose_headers = ["x-request-id"] }
    routes = {
      "GET /orders/{id}" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
      }
      "OPTIONS /custom" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/custom" }
      }
      "GET /custom" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/custom" }
      }
    }
  }

  assert {
    condition = (
      jsondecode(output.body).paths["/orders/{id}"].options["x-amazon-apigateway-integration"].type == "mock" &&
      !can(jsondecode(output.body).paths["/orders/{id}"].options.security) &&
      jsondecode(output.body).paths["/orders/{id}"].options.parameters[0].name == "id" &&
      jsondecode(output.body).paths["/orders/{id}"].options["x-amazon-apigateway-integration"].responses.default.statusCode == "204"
    )
    error_message = "Every path gets an OPTIONS method answered by a MOCK integration, without the authorizer."
  }

  assert {
    condition = (
      jsondecode(output.body).paths["/orders/{id}"].options["x-amazon-apigateway-integration"].responses.default.responseParameters == {
        "method.response.header.Access-Control-Allow-Origin"      = "'https://app.example.com'"
        "method.response.header.Access-Control-Allow-Methods"     = "'GET,POST,PUT,PATCH,DELETE,OPTIONS'"
        "method.response.header.Access-Control-Allow-Headers"     = "'authorization,content-type'"
        "method.response.header.Access-Control-Max-Age"           = "'300'"
        "method.response.header.Access-Control-Allow-Credentials" = "'true'"
      } &&
      toset(keys(jsondecode(output.body).paths["/orders/{id}"].options.responses["204"].headers)) == toset(["Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Max-Age", "Access-Control-Allow-Credentials"])
    )
    error_message = "The preflight answers with the cors input's origin, methods, headers, max age and credentials (HTTP API defaults)."
  }

  assert {
    condition     = jsondecode(output.body).paths["/custom"].options.security == [{ "orders-authorizer" = [] }] && jsondecode(output.body).paths["/custom"].options["x-amazon-apigateway-integration"].type == "http_proxy"
    error_message = "A path with an OPTIONS route of its own keeps that route."
  }

  assert {
    condition = alltrue([for r in jsondecode(output.body)["x-amazon-apigateway-gateway-responses"] : r.responseParameters == {
      "gatewayresponse.header.Access-Control-Allow-Origin"      = "'https://app.example.com'"
      "gatewayresponse.header.Access-Control-Expose-Headers"    = "'x-request-id'"
      "gatewayresponse.header.Access-Control-Allow-Credentials" = "'true'"
    }])
    error_message = "Every gateway response (401, 403, 429, ...) carries the CORS headers, so a browser can read it."
  }
}

run "cors_several_origins" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    cors = { allow_origins = ["https://app.example.com", "https://admin.example.com"] }
  }

  assert {
    condition = (
      !can(jsondecode(output.body).paths["/health"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Access-Control-Allow-Origin"]) &&
      jsondecode(output.body).paths["/health"].options["x-amazon-apigateway-integration"].responses.default.responseParameters["method.response.header.Vary"] == "'Origin'" &&
      strcontains(jsondecode(output.body).paths["/health"].options["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"], "$origin == 'https://admin.example.com'") &&
      strcontains(jsondecode(output.body).paths["/health"].options["x-amazon-apigateway-integration"].responses.default.responseTemplates["application/json"], "$context.responseOverride.header.Access-Control-Allow-Origin = $origin")
    )
    error_message = "With several origins the preflight echoes the request's Origin only when it is one of them."
  }

  assert {
    condition     = alltrue([for r in jsondecode(output.body)["x-amazon-apigateway-gateway-responses"] : r.responseParameters["gatewayresponse.header.Access-Control-Allow-Origin"] == "method.request.header.Origin" && !can(r.responseParameters["gatewayresponse.header.Access-Control-Allow-Credentials"])])
    error_message = "With several origins the gateway responses echo the Origin (their bodies are the fixed messages)."
  }
}

run "no_cors_by_default" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition     = alltrue([for p in jsondecode(output.body).paths : !can(p.options)])
    error_message = "Without cors there are no OPTIONS methods."
  }
}

run "cors_preflight_allowed_on_a_private_api" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    cors             = { allow_origins = ["https://app.example.com"] }
    routes = {
      "GET /orders" = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" } }
    }
  }

  assert {
    condition     = [for st in jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement : st.Resource if st.Sid == "AllowPublicRoutes"] == [["arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/v1/OPTIONS/orders"]]
    error_message = "A PRIVATE API allows the CORS preflights (no authorizer) by their exact ARNs."
  }
}

# PRIVATE: the document carries the resource policy (x-amazon-apigateway-policy), in the
# short form API Gateway expands on import, so the overwrite PUT of a route change sets it
# again whatever the provider does after the PUT (hashicorp/aws >= 6.48.0 no longer puts
# back a policy it does not manage on the API itself). aws_api_gateway_rest_api_policy
# holds the same statements, expanded.
run "private_document_carries_the_resource_policy" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    resource_policy_statements = [
      { Sid = "DenyDelete", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*/DELETE/*" },
      {
        Sid       = "DenyOneVpc", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke",
        Resource  = ["execute-api:/v1/*", "arn:aws:execute-api:*:*:*/v2/*"],
        Condition = { StringEquals = { "aws:SourceVpc" = "vpc-0123456789abcdef0" } }
      },
      { Sid = "DenyAllButHealth", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", NotResource = "arn:aws:execute-api:*:*:*/v1/GET/health" },
    ]
  }

  assert {
    condition = jsondecode(output.body)["x-amazon-apigateway-policy"].Statement == [
      {
        Sid       = "DenyOutsideVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-0123456789abcdef0"] } }
      },
      { Sid = "AllowPublicRoutes", Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = ["execute-api:/v1/GET/health"] },
      { Sid = "DenyDelete", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*/DELETE/*" },
      {
        Sid       = "DenyOneVpc", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke",
        Resource  = ["execute-api:/v1/*", "arn:aws:execute-api:*:*:*/v2/*"],
        Condition = { StringEquals = { "aws:SourceVpc" = "vpc-0123456789abcdef0" } }
      },
      { Sid = "DenyAllButHealth", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", NotResource = "arn:aws:execute-api:*:*:*/v1/GET/health" },
    ]
    error_message = "The document of a PRIVATE API must carry its resource policy as given, resources in API Gateway's short form."
  }

  # Each Resource in the short form expanded to this API's ARN, nothing else changed.
  assert {
    condition = jsondecode(aws_api_gateway_rest_api_policy.this[0].policy).Statement == [
      {
        Sid       = "DenyOutsideVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = ["vpce-0123456789abcdef0"] } }
      },
      { Sid = "AllowPublicRoutes", Effect = "Allow", Principal = "*", Action = "execute-api:Invoke", Resource = ["arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/v1/GET/health"] },
      { Sid = "DenyDelete", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/*/DELETE/*" },
      {
        Sid       = "DenyOneVpc", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke",
        Resource  = ["arn:aws:execute-api:eu-west-1:123456789012:r1s2t3/v1/*", "arn:aws:execute-api:*:*:*/v2/*"],
        Condition = { StringEquals = { "aws:SourceVpc" = "vpc-0123456789abcdef0" } }
      },
      { Sid = "DenyAllButHealth", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", NotResource = "arn:aws:execute-api:*:*:*/v1/GET/health" },
    ]
    error_message = "aws_api_gateway_rest_api_policy must hold the document's policy with each short-form Resource expanded to this API's ARN and nothing else changed."
  }
}

# API Gateway expands the short form in Resource; anywhere else it would stay a string that
# matches nothing (a NotResource Deny would then deny everything, a Condition never match),
# and the two copies of the policy would disagree.
run "short_form_outside_resource_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    resource_policy_statements = [
      { Sid = "DenyAllButHealth", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", NotResource = "execute-api:/v1/GET/health" },
    ]
  }

  expect_failures = [var.resource_policy_statements]
}

run "short_form_in_a_condition_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    resource_policy_statements = [
      { Sid = "DenyArn", Effect = "Deny", Principal = "*", Action = "execute-api:Invoke", Resource = "execute-api:/*", Condition = { ArnLike = { "aws:SourceArn" = "execute-api:/v1/*" } } },
    ]
  }

  expect_failures = [var.resource_policy_statements]
}

run "cors_preflight_on_a_private_path_variable_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
    cors             = { allow_origins = ["https://app.example.com"] }
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}

run "cors_credentials_need_explicit_origins" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    cors = { allow_origins = ["*"], allow_credentials = true }
  }

  expect_failures = [var.cors]
}

run "cors_values_without_quotes" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    cors = { allow_origins = ["https://app.example.com'"] }
  }

  expect_failures = [var.cors]
}

run "private_without_execute_api_endpoint_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    endpoint_type                = "PRIVATE"
    vpc_endpoint_ids             = ["vpce-0123456789abcdef0"]
    disable_execute_api_endpoint = true
    routes = {
      "GET /orders" = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" } }
    }
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}

run "public_route_through_a_vpc_link_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    vpc_links = { nlb = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"] } }
    routes = {
      "GET /orders" = { integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders" } }
      "GET /health" = { integration = { type = "vpc_link", vpc_link = "nlb", uri = "https://orders.internal.example.com/health" }, public = true }
    }
  }

  expect_failures = [var.routes]
}

run "unused_vpc_link_is_refused" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    vpc_links = {
      nlb    = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"] }
      unused = { id = "abc123" }
    }
    routes = {
      "GET /orders" = { integration = { type = "vpc_link", vpc_link = "nlb", uri = "https://orders.internal.example.com/orders" } }
    }
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}
