# modules/rest-api with a private backend: a VPC link to an NLB the module creates (tagged)
# and an HTTP_PROXY integration through it (VPC_LINK, connection id, the NLB's URL, path
# parameters passed on), and the REST-only rules.

mock_provider "aws" {
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
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
  tags                 = { team = "orders" }
  authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
  vpc_links = {
    nlb = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"] }
  }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "vpc_link", vpc_link = "nlb", uri = "https://orders.internal.example.com/orders/{id}" }
    }
    "POST /orders" = {
      integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders-create" }
    }
  }
}

run "vpc_link_integration" {
  command = apply

  module {
    source = "./modules/rest-api"
  }

  assert {
    condition = (
      aws_api_gateway_vpc_link.this["nlb"].name == "orders-nlb" &&
      toset(aws_api_gateway_vpc_link.this["nlb"].target_arns) == toset(["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"]) &&
      aws_api_gateway_vpc_link.this["nlb"].tags["team"] == "orders"
    )
    error_message = "The link is created to the given NLB, named <name>-<key> and tagged."
  }

  assert {
    condition = (
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].type == "http_proxy" &&
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].connectionType == "VPC_LINK" &&
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].connectionId == "rvl001" &&
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].uri == "https://orders.internal.example.com/orders/{id}" &&
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].httpMethod == "GET" &&
      jsondecode(output.body).paths["/orders/{id}"].get["x-amazon-apigateway-integration"].requestParameters == { "integration.request.path.id" = "method.request.path.id" }
    )
    error_message = "The route goes through the link: HTTP_PROXY, VPC_LINK, its id, the NLB's URL, the path parameter passed on."
  }

  assert {
    condition     = jsondecode(output.body).paths["/orders"].post["x-amazon-apigateway-integration"].type == "aws_proxy" && !can(jsondecode(output.body).paths["/orders"].post["x-amazon-apigateway-integration"].connectionId)
    error_message = "Other integrations stay INTERNET, without a connection id."
  }

  assert {
    condition     = output.vpc_link_ids == { nlb = "rvl001" }
    error_message = "vpc_link_ids lists the link by key."
  }
}

run "vpc_link_uri_must_be_a_url_on_rest" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "nlb", uri = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/0123456789abcdef/fedcba9876543210" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "rest_takes_no_server_name_to_verify" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "nlb", uri = "https://orders.internal.example.com/orders", server_name_to_verify = "orders.internal.example.com" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "rest_vpc_link_takes_no_subnets" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    vpc_links = {
      nlb = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["sg-0a1b2c3d4e"] }
    }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_key_must_exist_on_rest" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    vpc_links = { other = { id = "abc123" } }
  }

  expect_failures = [aws_api_gateway_rest_api.this]
}
