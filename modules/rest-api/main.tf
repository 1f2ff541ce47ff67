# REST API: a resource tree built from the route paths, one method per route with the
# Lambda REQUEST authorizer on every non-public one (the function answers with an IAM
# policy listing exactly the allowed method ARNs), one JSON error format for the responses
# API Gateway sends itself, a deployment, a stage with method throttling and JSON access
# logs (optionally behind a WAF web ACL), and the Lambda permissions API Gateway needs.

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
  iam                = var.iam
  vpc_links          = var.vpc_links
  tags               = var.tags
}

locals {
  routes      = module.inputs.routes
  stage_name  = module.inputs.stage_name
  throttling  = module.inputs.throttling
  access_logs = module.inputs.access_logs
  authorizer  = module.inputs.api_authorizer

  # Every prefix of every path is a resource: "/a/{b}/c" -> "/a", "/a/{b}", "/a/{b}/c".
  prefixes = distinct(flatten([
    for r in local.routes : [for i in range(1, length(r.segments) + 1) : "/${join("/", slice(r.segments, 0, i))}"]
  ]))
  levels = {
    for depth in range(1, 7) : depth => {
      for p in local.prefixes : p => {
        part   = element(split("/", p), depth)
        parent = depth == 1 ? "/" : join("/", slice(split("/", p), 0, depth))
      } if length(split("/", p)) - 1 == depth
    }
  }

  resource_ids = merge(
    { "/" = aws_api_gateway_rest_api.this.root_resource_id },
    { for p, r in aws_api_gateway_resource.d1 : p => r.id },
    { for p, r in aws_api_gateway_resource.d2 : p => r.id },
    { for p, r in aws_api_gateway_resource.d3 : p => r.id },
    { for p, r in aws_api_gateway_resource.d4 : p => r.id },
    { for p, r in aws_api_gateway_resource.d5 : p => r.id },
    { for p, r in aws_api_gateway_resource.d6 : p => r.id },
  )

  # With a result TTL the cache key includes the method and resource path: a cached policy
  # for one route never answers another.
  identity_source = join(",", [
    "method.request.header.${local.authorizer.identity_header}",
    "context.httpMethod",
    "context.resourcePath",
  ])

  # One error format for every response API Gateway itself sends (authorizer denies,
  # throttles, integration errors, anything else 4XX/5XX): a fixed message per type and the
  # request id, to find the request in the access logs. Never $context.authorizer.* or
  # $context.error.*: they would tell a caller why its token failed. A null status keeps the
  # type's own (DEFAULT_4XX/5XX cover several statuses).
  gateway_responses = {
    ACCESS_DENIED                  = { status_code = "403", message = "Forbidden" }
    UNAUTHORIZED                   = { status_code = "401", message = "Unauthorized" }
    AUTHORIZER_FAILURE             = { status_code = "500", message = "Authorization unavailable" }
    AUTHORIZER_CONFIGURATION_ERROR = { status_code = "500", message = "Authorization unavailable" }
    THROTTLED                      = { status_code = "429", message = "Too many requests" }
    INTEGRATION_FAILURE            = { status_code = "504", message = "Backend unavailable" }
    INTEGRATION_TIMEOUT            = { status_code = "504", message = "Backend timeout" }
    DEFAULT_4XX                    = { status_code = null, message = "Request rejected" }
    DEFAULT_5XX                    = { status_code = null, message = "Internal server error" }
  }
  gateway_response_templates = {
    for t, r in local.gateway_responses : t => { "application/json" = jsonencode({ message = r.message, requestId = "$context.requestId" }) }
  }

  vpc_links = module.inputs.vpc_links
  # Every link a route may name: the existing ones by id, then the ones created here.
  vpc_link_ids = merge(
    { for k, l in local.vpc_links : k => l.id if l.id != null },
    { for k, l in aws_api_gateway_vpc_link.this : k => l.id },
  )
  is_private = var.endpoint_type == "PRIVATE"
  # The resource policy of a PRIVATE API holds no Allow for a protected route. With a Lambda
  # authorizer, API Gateway allows a request when the authorizer's policy or the resource
  # policy allows it and neither denies it, so an Allow here would open every route the
  # authorizer's answer is silent on (a route outside a token's scopes, or any route when
  # only the public ones are allowed). Protected routes are allowed by the authorizer alone;
  # public routes (no authorizer) need an Allow of their own: exact ARNs (this stage, each
  # method of ANY), as a wildcard in an ARN also matches across "/".
  http_methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
  public_route_arns = sort(distinct(flatten([
    for r in local.routes : [
      for m in(r.method == "ANY" ? local.http_methods : [r.method]) :
      "${aws_api_gateway_rest_api.this.execution_arn}/${local.stage_name}/${m}/${join("/", r.segments)}"
    ] if r.public
  ])))
  # Public routes whose ARN would hold a wildcard: path variables, or * and ? in a segment.
  inexact_public_routes = sort([for k, r in local.routes : k if r.public && length(regexall("[{}*?]", r.path)) > 0])
  resource_policy = local.is_private ? jsonencode({
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyOutsideVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "${aws_api_gateway_rest_api.this.execution_arn}/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids } }
      }],
      length(local.public_route_arns) == 0 ? [] : [{
        Sid       = "AllowPublicRoutes"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = local.public_route_arns
      }],
      var.resource_policy_statements,
    )
  }) : null

  lambda_functions = toset([for r in local.routes : r.integration.uri if r.integration.type == "lambda"])

  access_log_format = coalesce(local.access_logs.format, jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    sourceIp           = "$context.identity.sourceIp"
    httpMethod         = "$context.httpMethod"
    resourcePath       = "$context.resourcePath"
    status             = "$context.status"
    protocol           = "$context.protocol"
    responseLength     = "$context.responseLength"
    integrationLatency = "$context.integrationLatency"
    authorizerError    = "$context.authorizer.error"
  }))
}

resource "aws_api_gateway_rest_api" "this" {
  name        = var.name
  description = "Gateway ${var.name} (REST API)"
  tags        = var.tags

  disable_execute_api_endpoint = var.disable_execute_api_endpoint

  endpoint_configuration {
    types            = [var.endpoint_type]
    vpc_endpoint_ids = local.is_private ? var.vpc_endpoint_ids : null
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = !local.is_private || length(var.vpc_endpoint_ids) > 0
      error_message = "endpoint_type = \"PRIVATE\" needs vpc_endpoint_ids: list the ids (vpce-...) of the interface VPC endpoints for execute-api that may invoke the API, or use endpoint_type = \"REGIONAL\"."
    }
    precondition {
      condition     = local.is_private || length(var.vpc_endpoint_ids) == 0
      error_message = "vpc_endpoint_ids only applies to endpoint_type = \"PRIVATE\": remove it, or set endpoint_type = \"PRIVATE\"."
    }
    precondition {
      condition     = !local.is_private || length(local.inexact_public_routes) == 0
      error_message = "endpoint_type = \"PRIVATE\": public routes need an Allow in the API's resource policy, and only an exact path keeps it from also allowing protected routes (a wildcard in an ARN matches across \"/\"). These public routes have path variables, * or ?: ${join(", ", local.inexact_public_routes)}; make them protected (public = false) or give them literal paths."
    }
    precondition {
      condition     = local.is_private || length(var.resource_policy_statements) == 0
      error_message = "resource_policy_statements only applies to endpoint_type = \"PRIVATE\"."
    }
  }
}

# A PRIVATE API answers nothing without a resource policy: allow execute-api:Invoke, and
# deny it unless the request came through one of the listed VPC endpoints.
resource "aws_api_gateway_rest_api_policy" "this" {
  count = local.is_private ? 1 : 0

  rest_api_id = aws_api_gateway_rest_api.this.id
  policy      = local.resource_policy
}

resource "aws_api_gateway_resource" "d1" {
  for_each    = local.levels[1]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_rest_api.this.root_resource_id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "d2" {
  for_each    = local.levels[2]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.d1[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "d3" {
  for_each    = local.levels[3]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.d2[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "d4" {
  for_each    = local.levels[4]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.d3[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "d5" {
  for_each    = local.levels[5]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.d4[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_resource" "d6" {
  for_each    = local.levels[6]
  rest_api_id = aws_api_gateway_rest_api.this.id
  parent_id   = aws_api_gateway_resource.d5[each.value.parent].id
  path_part   = each.value.part
}

resource "aws_api_gateway_authorizer" "this" {
  name            = "${var.name}-authorizer"
  rest_api_id     = aws_api_gateway_rest_api.this.id
  type            = "REQUEST"
  authorizer_uri  = local.authorizer.invoke_arn
  identity_source = local.identity_source
  # Always set: the provider's default is 300 s.
  authorizer_result_ttl_in_seconds = local.authorizer.result_ttl_seconds
}

resource "aws_lambda_permission" "authorizer" {
  statement_id  = "AllowApiGatewayAuthorizer-${aws_api_gateway_rest_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = local.authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/${aws_api_gateway_authorizer.this.id}"
}

resource "aws_api_gateway_method" "this" {
  # checkov:skip=CKV_AWS_59:Only routes marked public = true (e.g. health checks) have no authorizer; every other method is CUSTOM.
  # checkov:skip=CKV2_AWS_53:The gateway proxies requests; validating bodies is the backend's contract, not the platform's.
  for_each = local.routes

  rest_api_id        = aws_api_gateway_rest_api.this.id
  resource_id        = local.resource_ids[each.value.path]
  http_method        = each.value.method
  authorization      = each.value.public ? "NONE" : "CUSTOM"
  authorizer_id      = each.value.public ? null : aws_api_gateway_authorizer.this.id
  request_parameters = { for p in each.value.params : "method.request.path.${p}" => true }
}

# VPC links to network load balancers in the team's VPC (private backends).
resource "aws_api_gateway_vpc_link" "this" {
  for_each = { for k, l in local.vpc_links : k => l if l.id == null }

  name        = "${var.name}-${each.key}"
  description = "Gateway ${var.name}: ${each.key}"
  target_arns = each.value.target_arns
  tags        = var.tags
}

resource "aws_api_gateway_integration" "this" {
  for_each = local.routes

  rest_api_id             = aws_api_gateway_rest_api.this.id
  resource_id             = aws_api_gateway_method.this[each.key].resource_id
  http_method             = aws_api_gateway_method.this[each.key].http_method
  type                    = each.value.integration.type == "lambda" ? "AWS_PROXY" : "HTTP_PROXY"
  integration_http_method = each.value.integration.type == "lambda" ? "POST" : coalesce(each.value.integration.method, each.value.method)
  uri = (each.value.integration.type == "lambda"
    ? "arn:${split(":", each.value.integration.uri)[1]}:apigateway:${split(":", each.value.integration.uri)[3]}:lambda:path/2015-03-31/functions/${each.value.integration.uri}/invocations"
    : each.value.integration.uri
  )
  connection_type      = each.value.integration.type == "vpc_link" ? "VPC_LINK" : "INTERNET"
  connection_id        = each.value.integration.type == "vpc_link" ? lookup(local.vpc_link_ids, each.value.integration.vpc_link, null) : null
  request_parameters   = each.value.integration.type == "lambda" ? {} : { for p in each.value.params : "integration.request.path.${p}" => "method.request.path.${p}" }
  timeout_milliseconds = each.value.timeout_ms

  lifecycle {
    precondition {
      condition     = each.value.integration.type != "vpc_link" || contains(keys(local.vpc_links), coalesce(each.value.integration.vpc_link, "-"))
      error_message = "Route \"${each.key}\": integration.vpc_link = \"${each.value.integration.vpc_link == null ? "" : each.value.integration.vpc_link}\" is not a key of vpc_links (keys: ${join(", ", keys(local.vpc_links))}); add the link to vpc_links or name an existing key."
    }
  }
}

# One permission per integrated function, for any route of this API: one per route would
# grow the function's resource policy toward its 20 KB limit.
resource "aws_lambda_permission" "integration" {
  for_each = local.lambda_functions

  statement_id  = "AllowApiGateway-${aws_api_gateway_rest_api.this.id}-${substr(sha1(each.key), 0, 12)}"
  action        = "lambda:InvokeFunction"
  function_name = each.key
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_api_gateway_rest_api.this.execution_arn}/*/*"
}

resource "aws_api_gateway_gateway_response" "this" {
  for_each = local.gateway_responses

  rest_api_id        = aws_api_gateway_rest_api.this.id
  response_type      = each.key
  status_code        = each.value.status_code
  response_templates = local.gateway_response_templates[each.key]
}

resource "aws_api_gateway_deployment" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Gateway ${var.name}"

  # Redeploy whenever the API's configuration changes (known at plan time, so a refresh
  # never forces a new deployment).
  triggers = {
    redeployment = sha1(jsonencode([
      # the route table as given (defaults filled in), without the parsed parts
      { for k, r in local.routes : k => { integration = r.integration, timeout_ms = r.timeout_ms, public = r.public, throttling = r.throttling } },
      local.prefixes,
      local.identity_source,
      local.authorizer.invoke_arn,
      local.authorizer.result_ttl_seconds,
      # an integration takes a new VPC link id (given, or of a replaced link) only with a
      # new deployment
      local.vpc_link_ids,
      # gateway responses take effect with the next deployment only
      local.gateway_responses,
      local.gateway_response_templates,
      # a resource policy takes effect with the next deployment only
      var.endpoint_type,
      var.vpc_endpoint_ids,
      local.resource_policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_method.this, aws_api_gateway_integration.this, aws_api_gateway_gateway_response.this, aws_api_gateway_rest_api_policy.this]
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

# The account-wide CloudWatch Logs role REST access logs need (rest_account_logging = create).
data "aws_partition" "current" {}

resource "aws_iam_role" "cloudwatch" {
  count = local.access_logs.enabled && var.rest_account_logging == "create" ? 1 : 0

  name                 = "${var.name}-apigw-cloudwatch"
  path                 = module.inputs.iam.role_path
  permissions_boundary = module.inputs.iam.permissions_boundary_arn
  assume_role_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Action = "sts:AssumeRole", Principal = { Service = "apigateway.amazonaws.com" } }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "cloudwatch" {
  count = length(aws_iam_role.cloudwatch)

  role       = aws_iam_role.cloudwatch[0].name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
}

resource "aws_api_gateway_account" "this" {
  count = length(aws_iam_role.cloudwatch)

  cloudwatch_role_arn = aws_iam_role.cloudwatch[0].arn
  depends_on          = [aws_iam_role_policy_attachment.cloudwatch]
}

resource "aws_api_gateway_stage" "this" {
  # checkov:skip=CKV_AWS_120:Response caching would cache authorized responses across callers; the gateway leaves caching to backends.
  # checkov:skip=CKV2_AWS_29:A WAF web ACL is the platform's or the team's choice: waf_web_acl_arn associates one (aws_wafv2_web_acl_association.this).
  # checkov:skip=CKV2_AWS_77:The web ACL (waf_web_acl_arn) and its rule groups (e.g. the Log4j managed rules) are the platform's or the team's; this module only associates it.
  # checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; backends here are the teams' own.
  # checkov:skip=CKV_AWS_73:X-Ray tracing is opt-in (xray_tracing).
  # checkov:skip=CKV2_AWS_4:Execution logging needs an account-wide CloudWatch role; access logs and authorizer decision logs cover requests.
  rest_api_id          = aws_api_gateway_rest_api.this.id
  deployment_id        = aws_api_gateway_deployment.this.id
  stage_name           = local.stage_name
  xray_tracing_enabled = var.xray_tracing
  tags                 = var.tags

  dynamic "access_log_settings" {
    for_each = local.access_logs.enabled ? [1] : []
    content {
      destination_arn = aws_cloudwatch_log_group.access[0].arn
      format          = local.access_log_format
    }
  }

  lifecycle {
    precondition {
      condition     = !local.access_logs.enabled || var.rest_account_logging != null
      error_message = "REST access logs need the account's API Gateway CloudWatch Logs role, which a fresh account lacks: set rest_account_logging = \"existing\" (the account has one) or \"create\" (this module sets it), or access_logs = { enabled = false }."
    }
  }

  depends_on = [aws_api_gateway_account.this]
}

resource "aws_wafv2_web_acl_association" "this" {
  count = var.waf_web_acl_arn == null ? 0 : 1

  resource_arn = aws_api_gateway_stage.this.arn
  web_acl_arn  = var.waf_web_acl_arn
}

resource "aws_api_gateway_method_settings" "all" {
  # checkov:skip=CKV_AWS_225:Response caching would cache authorized responses across callers; the gateway leaves caching to backends.
  # checkov:skip=CKV_AWS_308:No cache is enabled, so there is no cache data to encrypt.
  # checkov:skip=CKV2_AWS_4:Execution logging needs an account-wide CloudWatch role; access logs and authorizer decision logs cover requests.
  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  method_path = "*/*"

  settings {
    metrics_enabled        = true
    throttling_burst_limit = local.throttling.burst_limit
    throttling_rate_limit  = local.throttling.rate_limit
  }
}

resource "aws_api_gateway_method_settings" "route" {
  # checkov:skip=CKV_AWS_225:Response caching would cache authorized responses across callers; the gateway leaves caching to backends.
  # checkov:skip=CKV_AWS_308:No cache is enabled, so there is no cache data to encrypt.
  # checkov:skip=CKV2_AWS_4:Execution logging needs an account-wide CloudWatch role; access logs and authorizer decision logs cover requests.
  for_each = { for k, r in local.routes : k => r if r.throttling != null }

  rest_api_id = aws_api_gateway_rest_api.this.id
  stage_name  = aws_api_gateway_stage.this.stage_name
  # API Gateway's method-settings key: the resource path with every "/" escaped as "~1".
  method_path = "${replace(each.value.path, "/", "~1")}/${each.value.method == "ANY" ? "*" : each.value.method}"

  settings {
    metrics_enabled        = true
    throttling_burst_limit = each.value.throttling.burst_limit
    throttling_rate_limit  = each.value.throttling.rate_limit
  }

  depends_on = [aws_api_gateway_method_settings.all]
}
