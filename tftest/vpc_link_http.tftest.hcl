# modules/http-api with private backends: a VPC link the module creates (subnets, security
# groups, tags) and an existing one, integrations to an ALB listener and a Cloud Map service
# wired through them (VPC_LINK, connection id, TLS server name), and the HTTP-only rules.

mock_provider "aws" {
  mock_resource "aws_apigatewayv2_api" {
    defaults = { id = "a1b2c3", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
  }
  mock_resource "aws_apigatewayv2_vpc_link" {
    defaults = { id = "vl0001" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/apigateway/orders/access" }
  }
}

variables {
  name = "orders"
  tags = { team = "orders" }
  authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
  vpc_links = {
    private = { subnet_ids = ["subnet-0a1b2c3d", "subnet-0e1f2a3b"], security_group_ids = ["sg-0a1b2c3d4e"] }
    shared  = { id = "abc123" }
  }
  routes = {
    "GET /orders/{id}" = {
      integration = {
        type                  = "vpc_link"
        vpc_link              = "private"
        uri                   = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/0123456789abcdef/fedcba9876543210"
        server_name_to_verify = "orders.internal.example.com"
      }
    }
    "GET /catalog/{proxy+}" = {
      integration = { type = "vpc_link", vpc_link = "shared", uri = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abcdef0123456789" }
    }
    "POST /orders" = {
      integration = { type = "lambda", uri = "arn:aws:lambda:eu-west-1:123456789012:function:orders-create" }
    }
  }
}

run "vpc_link_integrations" {
  command = apply

  module {
    source = "./modules/http-api"
  }

  assert {
    condition     = keys(aws_apigatewayv2_vpc_link.this) == ["private"] && aws_apigatewayv2_vpc_link.this["private"].name == "orders-private"
    error_message = "Only the link without an id is created, named <name>-<key>."
  }

  assert {
    condition = (
      toset(aws_apigatewayv2_vpc_link.this["private"].subnet_ids) == toset(["subnet-0a1b2c3d", "subnet-0e1f2a3b"]) &&
      toset(aws_apigatewayv2_vpc_link.this["private"].security_group_ids) == toset(["sg-0a1b2c3d4e"]) &&
      aws_apigatewayv2_vpc_link.this["private"].tags["team"] == "orders"
    )
    error_message = "The created link has the given subnets and security groups, and the tags."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.this["GET /orders/{id}"].integration_type == "HTTP_PROXY" &&
      aws_apigatewayv2_integration.this["GET /orders/{id}"].connection_type == "VPC_LINK" &&
      aws_apigatewayv2_integration.this["GET /orders/{id}"].connection_id == "vl0001" &&
      aws_apigatewayv2_integration.this["GET /orders/{id}"].integration_uri == "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/0123456789abcdef/fedcba9876543210" &&
      aws_apigatewayv2_integration.this["GET /orders/{id}"].integration_method == "GET" &&
      aws_apigatewayv2_integration.this["GET /orders/{id}"].tls_config[0].server_name_to_verify == "orders.internal.example.com"
    )
    error_message = "A listener route goes through the created link: HTTP_PROXY, VPC_LINK, its id, the listener ARN, the TLS server name."
  }

  assert {
    condition = (
      aws_apigatewayv2_integration.this["GET /catalog/{proxy+}"].connection_type == "VPC_LINK" &&
      aws_apigatewayv2_integration.this["GET /catalog/{proxy+}"].connection_id == "abc123" &&
      length(aws_apigatewayv2_integration.this["GET /catalog/{proxy+}"].tls_config) == 0
    )
    error_message = "A Cloud Map route goes through the existing link's id, without TLS config."
  }

  assert {
    condition     = aws_apigatewayv2_integration.this["POST /orders"].connection_type == "INTERNET" && aws_apigatewayv2_integration.this["POST /orders"].connection_id == null
    error_message = "Other integrations stay INTERNET, without a connection id."
  }

  assert {
    condition     = output.vpc_link_ids == { private = "vl0001", shared = "abc123" }
    error_message = "vpc_link_ids lists the created and the existing links by key."
  }
}

run "vpc_link_uri_must_be_an_arn_on_http" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "private", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "http_vpc_link_takes_no_target_arns" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    vpc_links = {
      private = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"] }
    }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_key_must_exist_on_http" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    vpc_links = { shared = { id = "abc123" } }
  }

  expect_failures = [aws_apigatewayv2_integration.this]
}
