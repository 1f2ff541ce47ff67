# Custom domains: modules/custom-domain on its own (HTTP and REST, a given or a requested
# certificate, with or without the Route 53 zone, and the inputs it refuses), the
# execute-api switch of the API modules, and the root module's wiring. Against a mocked
# AWS provider.

# The certificate's ARN and its one DNS validation option (the provider checks ARNs, and
# the validation record is read from the option; tofu generates mock values during plan
# as well), and the ARNs and ids the root module's runs need; every other value is
# generated.
mock_provider "aws" {
  mock_resource "aws_acm_certificate" {
    defaults = {
      arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789"
      domain_validation_options = [{
        domain_name           = "api.example.com"
        resource_record_name  = "_0123456789abcdef.api.example.com."
        resource_record_type  = "CNAME"
        resource_record_value = "_fedcba9876543210.acm-validations.aws."
      }]
    }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_apigatewayv2_api" {
    defaults = { id = "a1b2c3", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3" }
  }
  mock_resource "aws_api_gateway_rest_api" {
    defaults = { id = "r1s2t3", root_resource_id = "root00", execution_arn = "arn:aws:execute-api:eu-west-1:123456789012:r1s2t3" }
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
}

variables {
  # modules/custom-domain
  api_type    = "http"
  api_id      = "a1b2c3"
  stage_name  = "v1"
  domain_name = "api.example.com"

  # the root module and the API modules
  name              = "orders"
  baked_policy_json = <<-EOT
    {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]}]}],
     "publishers": []}
  EOT
  policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
  authorizer_artifact = {
    zip_path = "tftest/fixtures/bootstrap.zip"
  }
  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders/{id}" }
    }
  }
}

run "http_given_certificate_with_zone" {
  command = apply

  module {
    source = "./modules/custom-domain"
  }

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    hosted_zone_id  = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = length(aws_acm_certificate.this) == 0 && length(aws_acm_certificate_validation.this) == 0 && length(aws_route53_record.validation) == 0
    error_message = "A given certificate is used as is: no certificate, validation or validation record."
  }

  assert {
    condition = (
      aws_apigatewayv2_domain_name.this[0].domain_name == "api.example.com" &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].certificate_arn == var.certificate_arn &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].endpoint_type == "REGIONAL" &&
      aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].security_policy == "TLS_1_2"
    )
    error_message = "The HTTP API domain is REGIONAL, TLS 1.2, with the given certificate."
  }

  assert {
    condition     = aws_apigatewayv2_api_mapping.this[0].api_id == "a1b2c3" && aws_apigatewayv2_api_mapping.this[0].stage == "v1" && aws_apigatewayv2_api_mapping.this[0].api_mapping_key == null && aws_apigatewayv2_api_mapping.this[0].domain_name == aws_apigatewayv2_domain_name.this[0].id
    error_message = "Without base_path the API's stage is mapped at the domain's root."
  }

  assert {
    condition     = length(aws_api_gateway_domain_name.this) == 0 && length(aws_api_gateway_base_path_mapping.this) == 0
    error_message = "An HTTP API gets no REST domain name."
  }

  assert {
    condition = alltrue([for t in ["A", "AAAA"] : (
      aws_route53_record.alias[t].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.alias[t].name == "api.example.com" &&
      aws_route53_record.alias[t].alias[0].name == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name &&
      aws_route53_record.alias[t].alias[0].zone_id == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id
    )]) && length(aws_route53_record.alias) == 2
    error_message = "With the zone, A and AAAA alias records point at the regional domain name."
  }

  assert {
    condition     = output.url == "https://api.example.com" && output.certificate_arn == var.certificate_arn && output.regional_domain_name == aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name
    error_message = "Outputs: the domain's URL, the given certificate, the regional domain name."
  }
}

run "http_requested_certificate_with_zone" {
  command = apply

  module {
    source = "./modules/custom-domain"
  }

  variables {
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
    base_path      = "orders/v1"
  }

  assert {
    condition     = aws_acm_certificate.this[0].domain_name == "api.example.com" && aws_acm_certificate.this[0].validation_method == "DNS"
    error_message = "Without certificate_arn the module requests a DNS-validated certificate for the domain."
  }

  assert {
    condition = (
      aws_route53_record.validation[0].zone_id == "Z0123456789ABCDEFGHIJ" &&
      aws_route53_record.validation[0].name == "_0123456789abcdef.api.example.com." &&
      aws_route53_record.validation[0].type == "CNAME" &&
      aws_route53_record.validation[0].records == toset(["_fedcba9876543210.acm-validations.aws."])
    )
    error_message = "The validation record is ACM's CNAME, in the given zone."
  }

  assert {
    condition     = aws_acm_certificate_validation.this[0].certificate_arn == aws_acm_certificate.this[0].arn && aws_acm_certificate_validation.this[0].validation_record_fqdns == toset([aws_route53_record.validation[0].fqdn])
    error_message = "The module waits for the validation of its certificate through that record."
  }

  assert {
    condition     = aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].certificate_arn == "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" && output.certificate_arn == aws_acm_certificate.this[0].arn
    error_message = "The domain uses the validated certificate."
  }

  assert {
    condition     = aws_apigatewayv2_api_mapping.this[0].api_mapping_key == "orders/v1" && output.url == "https://api.example.com/orders/v1"
    error_message = "base_path is the API mapping key and part of the URL."
  }
}

run "rest_given_certificate_without_zone" {
  command = apply

  module {
    source = "./modules/custom-domain"
  }

  variables {
    api_type        = "rest"
    api_id          = "r1s2t3"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    base_path       = "orders"
  }

  assert {
    condition = (
      aws_api_gateway_domain_name.this[0].domain_name == "api.example.com" &&
      aws_api_gateway_domain_name.this[0].regional_certificate_arn == var.certificate_arn &&
      aws_api_gateway_domain_name.this[0].certificate_arn == null &&
      aws_api_gateway_domain_name.this[0].endpoint_configuration[0].types == tolist(["REGIONAL"]) &&
      aws_api_gateway_domain_name.this[0].security_policy == "TLS_1_2"
    )
    error_message = "The REST domain is REGIONAL, TLS 1.2, with the given certificate as its regional certificate."
  }

  assert {
    condition     = aws_api_gateway_base_path_mapping.this[0].api_id == "r1s2t3" && aws_api_gateway_base_path_mapping.this[0].stage_name == "v1" && aws_api_gateway_base_path_mapping.this[0].base_path == "orders" && aws_api_gateway_base_path_mapping.this[0].domain_name == "api.example.com"
    error_message = "The base path mapping maps /orders to the REST API's stage."
  }

  assert {
    condition     = length(aws_apigatewayv2_domain_name.this) == 0 && length(aws_apigatewayv2_api_mapping.this) == 0
    error_message = "A REST API gets no HTTP API domain name."
  }

  assert {
    condition     = length(aws_route53_record.alias) == 0 && length(aws_route53_record.validation) == 0 && length(aws_acm_certificate.this) == 0
    error_message = "Without the zone the module writes no DNS records (and requests no certificate)."
  }

  assert {
    condition     = output.url == "https://api.example.com/orders" && output.regional_domain_name == aws_api_gateway_domain_name.this[0].regional_domain_name && output.regional_zone_id == aws_api_gateway_domain_name.this[0].regional_zone_id && output.alias_record_fqdns == []
    error_message = "Outputs: the URL with the base path, the regional name and zone to point your own DNS at."
  }
}

run "rest_requested_certificate_with_zone" {
  command = apply

  module {
    source = "./modules/custom-domain"
  }

  variables {
    api_type       = "rest"
    api_id         = "r1s2t3"
    hosted_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = aws_api_gateway_domain_name.this[0].regional_certificate_arn == aws_acm_certificate_validation.this[0].certificate_arn && aws_api_gateway_base_path_mapping.this[0].base_path == null
    error_message = "The REST domain uses the validated certificate; without base_path it maps the root."
  }

  assert {
    condition     = aws_route53_record.alias["A"].alias[0].name == aws_api_gateway_domain_name.this[0].regional_domain_name && aws_route53_record.alias["AAAA"].alias[0].zone_id == aws_api_gateway_domain_name.this[0].regional_zone_id
    error_message = "The alias records point at the REST domain's regional name."
  }
}

run "requested_certificate_needs_the_zone" {
  command = plan

  module {
    source = "./modules/custom-domain"
  }

  expect_failures = [aws_acm_certificate_validation.this]
}

run "refuses_one_bad_value_per_input" {
  command = plan

  module {
    source = "./modules/custom-domain"
  }

  variables {
    api_type        = "websocket"
    domain_name     = "https://API.example.com/"
    certificate_arn = "arn:aws:iam::123456789012:server-certificate/api"
    hosted_zone_id  = "/hostedzone/Z0123456789ABCDEFGHIJ"
    base_path       = "/orders/"
  }

  expect_failures = [var.api_type, var.domain_name, var.certificate_arn, var.hosted_zone_id, var.base_path]
}

run "refuses_a_wildcard_and_an_empty_segment" {
  command = plan

  module {
    source = "./modules/custom-domain"
  }

  variables {
    domain_name     = "*.example.com"
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    base_path       = "orders//v1"
  }

  expect_failures = [var.domain_name, var.base_path]
}

run "http_api_can_turn_off_execute_api" {
  command = plan

  module {
    source = "./modules/http-api"
  }

  variables {
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    disable_execute_api_endpoint = true
  }

  assert {
    condition     = aws_apigatewayv2_api.this.disable_execute_api_endpoint == true
    error_message = "disable_execute_api_endpoint reaches the HTTP API."
  }
}

run "rest_api_can_turn_off_execute_api" {
  command = plan

  module {
    source = "./modules/rest-api"
  }

  variables {
    authorizer = {
      function_name = "orders-authorizer"
      invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
    }
    access_logs                  = { enabled = false }
    disable_execute_api_endpoint = true
  }

  assert {
    condition     = aws_api_gateway_rest_api.this.disable_execute_api_endpoint == true
    error_message = "disable_execute_api_endpoint reaches the REST API."
  }
}

run "root_without_custom_domain" {
  command = plan

  variables {
    api_id = "orders"
  }

  assert {
    condition     = output.custom_domain == null
    error_message = "Without custom_domain there is no domain."
  }
}

run "root_http_with_a_requested_certificate" {
  command = apply

  variables {
    api_id = "orders"
    custom_domain = {
      domain_name                  = "api.example.com"
      hosted_zone_id               = "Z0123456789ABCDEFGHIJ"
      disable_execute_api_endpoint = true
    }
  }

  assert {
    condition = (
      output.custom_domain.url == "https://api.example.com" &&
      output.custom_domain.domain_name == "api.example.com" &&
      output.custom_domain.certificate_arn == "arn:aws:acm:eu-west-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789" &&
      length(output.custom_domain.alias_record_fqdns) == 2
    )
    error_message = "The root's custom_domain output carries the URL, the requested certificate and the alias records."
  }
}

run "root_rest_with_a_given_certificate" {
  command = apply

  variables {
    api_id               = "orders"
    api_type             = "rest"
    rest_account_logging = "existing"
    custom_domain = {
      domain_name     = "api.example.com"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
      base_path       = "orders"
    }
  }

  assert {
    condition     = output.custom_domain.url == "https://api.example.com/orders" && output.custom_domain.certificate_arn == "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555" && output.custom_domain.alias_record_fqdns == [] && output.custom_domain.regional_domain_name != null
    error_message = "A REST gateway maps the given certificate's domain under its base path; without the zone, no alias records."
  }
}

run "root_private_rest_with_a_custom_domain_is_refused" {
  command = plan

  variables {
    api_id               = "orders"
    api_type             = "rest"
    rest_account_logging = "existing"
    endpoint_type        = "PRIVATE"
    vpc_endpoint_ids     = ["vpce-0123456789abcdef0"]
    custom_domain = {
      domain_name     = "api.example.com"
      certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"
    }
  }

  expect_failures = [output.custom_domain]
}
