# The root module's own input rules (api_type, bootstrap_brokers or lookup_brokers, WAF and
# endpoint types other than REGIONAL only with a REST API) and the VPC links reaching the API
# module and the root output. Every
# other input is checked by the submodule that takes it (tftest/submodule_inputs.tftest.hcl)
# or by modules/shared-inputs (tftest/shared_inputs.tftest.hcl): the root passes it on.
# Plans only, against a mocked AWS provider.

# ARNs the provider checks are ARNs (tofu generates mock values during plan as well);
# every other value is generated.
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
  mock_resource "aws_api_gateway_stage" {
    defaults = { arn = "arn:aws:apigateway:eu-west-1::/restapis/r1s2t3/stages/v1" }
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
  policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
  authorizer_artifact = {
    zip_path = "tftest/fixtures/bootstrap.zip"
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

run "api_type_must_be_http_or_rest" {
  command = plan

  variables {
    api_type = "graphql"
  }

  expect_failures = [var.api_type]
}

run "policy_stream_takes_bootstrap_brokers_or_lookup_not_both" {
  command = plan

  variables {
    policy_stream = {
      cluster_arn       = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      vpc_id            = "vpc-0123456789abcdef0"
      subnet_ids        = ["subnet-0123456789abcdef0"]
      bootstrap_brokers = "b-1.platform:9098"
      lookup_brokers    = true
    }
  }

  expect_failures = [var.policy_stream]
}

run "waf_web_acl_needs_a_rest_api" {
  command = plan

  variables {
    waf_web_acl_arn = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }

  expect_failures = [output.stage_arn]
}

run "private_endpoint_needs_a_rest_api" {
  command = plan

  variables {
    endpoint_type    = "PRIVATE"
    vpc_endpoint_ids = ["vpce-0123456789abcdef0"]
  }

  expect_failures = [output.api_gateway_id]
}

run "edge_endpoint_needs_a_rest_api" {
  command = plan

  variables {
    endpoint_type = "EDGE"
  }

  expect_failures = [output.api_gateway_id]
}

run "private_rest_api_plans" {
  command = plan

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    endpoint_type        = "PRIVATE"
    vpc_endpoint_ids     = ["vpce-0123456789abcdef0"]
  }
}

run "waf_web_acl_with_a_rest_api_plans" {
  command = plan

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    waf_web_acl_arn      = "arn:aws:wafv2:eu-west-1:123456789012:regional/webacl/platform-api/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
  }
}

run "vpc_links_reach_the_http_api" {
  command = plan

  variables {
    vpc_links = { shared = { id = "abc123" }, private = { subnet_ids = ["subnet-0a1b2c3d"] } }
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "shared", uri = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abcdef0123456789" }
      }
    }
  }

  assert {
    condition     = output.vpc_link_ids["shared"] == "abc123" && length(module.http_api[0].vpc_link_ids) == 2
    error_message = "vpc_links reach the HTTP API module, and its link ids the root output."
  }
}

run "vpc_links_reach_the_rest_api" {
  command = plan

  variables {
    api_type             = "rest"
    rest_account_logging = "existing"
    vpc_links            = { shared = { id = "abc123" } }
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "shared", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  assert {
    condition     = output.vpc_link_ids == { shared = "abc123" }
    error_message = "vpc_links reach the REST API module, and its link ids the root output."
  }
}
