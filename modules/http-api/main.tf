# HTTP API: routes and integrations from var.routes, the Lambda REQUEST authorizer
# (payload 2.0, simple responses) on every non-public route, a stage with throttling and
# JSON access logs, and the Lambda permissions API Gateway needs.

module "inputs" {
  source = "../shared-inputs"

  name        = var.name
  routes      = var.routes
  stage_name  = var.stage_name
  throttling  = var.throttling
  access_logs = var.access_logs
  # The raw value: an unset retention takes the default, which is always accepted.
  log_retention_days = { for k, v in { "access_logs.retention_days" = try(var.access_logs.retention_days, null) } : k => v if v != null }
  api_authorizer     = var.authorizer
  vpc_links          = var.vpc_links
  tags               = var.tags
}

locals {
  routes      = module.inputs.routes
  stage_name  = module.inputs.stage_name
  throttling  = module.inputs.throttling
  access_logs = module.inputs.access_logs
  authorizer  = module.inputs.api_authorizer

  # An HTTP API authorizer cache entry is keyed by the identity sources and shared by every
  # route on the authorizer. The decision depends on the token, the method and the request
  # path, so all three are in the key: one Terraform route (`GET /orders/{id}`, `ANY`,
  # `{proxy+}`) can cover several policy routes with different scopes (`GET /orders/export`),
  # including routes the policy stream adds after this plan, and a cached allow for one path
  # must never answer another. The route key stays in as well.
  identity_sources = [
    "$request.header.${local.authorizer.identity_header}",
    "$context.httpMethod",
    "$context.path",
    "$context.routeKey",
  ]

  vpc_links = module.inputs.vpc_links
  # Every link a route may name: the existing ones by id, then the ones created here.
  vpc_link_ids = merge(
    { for k, l in local.vpc_links : k => l.id if l.id != null },
    { for k, l in aws_apigatewayv2_vpc_link.this : k => l.id },
  )

  lambda_functions = toset([for r in local.routes : r.integration.uri if r.integration.type == "lambda"])

  access_log_format = coalesce(local.access_logs.format, jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    path               = "$context.path"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    integrationLatency = "$context.integrationLatency"
    integrationError   = "$context.integrationErrorMessage"
    authorizerError    = "$context.authorizer.error"
  }))
}

resource "aws_apigatewayv2_api" "this" {
  name          = var.name
  protocol_type = "HTTP"
  description   = "Gateway ${var.name} (HTTP API)"
  tags          = var.tags

  disable_execute_api_endpoint = var.disable_execute_api_endpoint

  dynamic "cors_configuration" {
    for_each = var.cors == null ? [] : [var.cors]
    content {
      allow_origins     = cors_configuration.value.allow_origins
      allow_methods     = cors_configuration.value.allow_methods
      allow_headers     = cors_configuration.value.allow_headers
      expose_headers    = cors_configuration.value.expose_headers
      allow_credentials = cors_configuration.value.allow_credentials
      max_age           = cors_configuration.value.max_age
    }
  }
}

resource "aws_apigatewayv2_authorizer" "this" {
  name                              = "${var.name}-authorizer"
  api_id                            = aws_apigatewayv2_api.this.id
  authorizer_type                   = "REQUEST"
  authorizer_uri                    = local.authorizer.invoke_arn
  authorizer_payload_format_version = "2.0"
  enable_simple_responses           = true
  # Always set: the provider's default is 300 s.
  authorizer_result_ttl_in_seconds = local.authorizer.result_ttl_seconds
  identity_sources                 = local.identity_sources
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowApiGatewayAuthorizer-${aws_apigatewayv2_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = local.authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/authorizers/${aws_apigatewayv2_authorizer.this.id}"
}

# VPC links to private backends (ALB/NLB listeners, Cloud Map services) in the team's VPC.
resource "aws_apigatewayv2_vpc_link" "this" {
  for_each = { for k, l in local.vpc_links : k => l if l.id == null }

  name               = "${var.name}-${each.key}"
  subnet_ids         = each.value.subnet_ids
  security_group_ids = each.value.security_group_ids
  tags               = var.tags
}

resource "aws_apigatewayv2_integration" "this" {
  for_each = local.routes

  api_id                 = aws_apigatewayv2_api.this.id
  description            = each.key
  integration_type       = each.value.integration.type == "lambda" ? "AWS_PROXY" : "HTTP_PROXY"
  integration_method     = each.value.integration.type == "lambda" ? "POST" : coalesce(each.value.integration.method, each.value.method)
  integration_uri        = each.value.integration.uri
  connection_type        = each.value.integration.type == "vpc_link" ? "VPC_LINK" : "INTERNET"
  connection_id          = each.value.integration.type == "vpc_link" ? lookup(local.vpc_link_ids, each.value.integration.vpc_link, null) : null
  payload_format_version = each.value.integration.type == "lambda" ? "2.0" : "1.0"
  timeout_milliseconds   = each.value.timeout_ms

  dynamic "tls_config" {
    for_each = each.value.integration.server_name_to_verify == null ? [] : [each.value.integration.server_name_to_verify]
    content {
      server_name_to_verify = tls_config.value
    }
  }

  lifecycle {
    precondition {
      condition     = each.value.integration.type != "vpc_link" || contains(keys(local.vpc_links), coalesce(each.value.integration.vpc_link, "-"))
      error_message = "Route \"${each.key}\": integration.vpc_link = \"${each.value.integration.vpc_link == null ? "" : each.value.integration.vpc_link}\" is not a key of vpc_links (keys: ${join(", ", keys(local.vpc_links))}); add the link to vpc_links or name an existing key."
    }
  }
}

resource "aws_apigatewayv2_route" "this" {
  # checkov:skip=CKV_AWS_309:Routes marked public = true are deliberately open (e.g. health checks); every other route carries the Lambda authorizer.
  for_each = local.routes

  api_id             = aws_apigatewayv2_api.this.id
  route_key          = each.key
  target             = "integrations/${aws_apigatewayv2_integration.this[each.key].id}"
  authorization_type = each.value.public ? "NONE" : "CUSTOM"
  authorizer_id      = each.value.public ? null : aws_apigatewayv2_authorizer.this.id
}

# One permission per integrated function, for any route of this API: one per route would
# grow the function's resource policy toward its 20 KB limit.
resource "aws_lambda_permission" "integration" {
  for_each = local.lambda_functions

  statement_id  = "AllowApiGateway-${aws_apigatewayv2_api.this.id}-${substr(sha1(each.key), 0, 12)}"
  action        = "lambda:InvokeFunction"
  function_name = each.key
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this.execution_arn}/*/*"
}

resource "aws_cloudwatch_log_group" "access" {
  # checkov:skip=CKV_AWS_338:Retention is the team's choice (access_logs.retention_days, default 30 days).
  # checkov:skip=CKV_AWS_158:KMS encryption is opt-in through access_logs.kms_key_arn; CloudWatch Logs encrypts at rest by default.
  count = local.access_logs.enabled ? 1 : 0

  name              = "/aws/apigateway/${var.name}/access"
  retention_in_days = local.access_logs.retention_days
  kms_key_id        = local.access_logs.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  api_id      = aws_apigatewayv2_api.this.id
  name        = local.stage_name
  auto_deploy = true
  tags        = var.tags

  default_route_settings {
    throttling_burst_limit = local.throttling.burst_limit
    throttling_rate_limit  = local.throttling.rate_limit
  }

  dynamic "route_settings" {
    for_each = { for k, r in local.routes : k => r if r.throttling != null }
    content {
      route_key              = aws_apigatewayv2_route.this[route_settings.key].route_key
      throttling_burst_limit = route_settings.value.throttling.burst_limit
      throttling_rate_limit  = route_settings.value.throttling.rate_limit
    }
  }

  dynamic "access_log_settings" {
    for_each = local.access_logs.enabled ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format          = local.access_log_format
    }
  }
}
