# REST API: one OpenAPI document (`body`) built from the route table holds the whole API:
# a path per route path, one operation per route with the Lambda REQUEST authorizer on
# every non-public one (the function answers with an IAM policy listing exactly the allowed
# method ARNs), the HTTP/Lambda/VPC-link integrations, MOCK OPTIONS methods for CORS, and
# one JSON error format for the responses API Gateway sends itself. A change of the routes
# is one PUT of the document (a removed route is gone with it) and one new deployment.
# Beside it: the resource policy (PRIVATE), VPC links, the stage with method throttling and
# JSON access logs (optionally behind a WAF web ACL), and the Lambda permissions.

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

  # Resource ids by path, read back after the document is in place (the API creates the
  # resources from the paths).
  resource_ids = merge(
    { "/" = aws_api_gateway_rest_api.this.root_resource_id },
    { for p, r in data.aws_api_gateway_resource.this : p => r.id },
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

  # The authorizer, a security scheme of the document; its name is the authorizer's name.
  authorizer_name = "${var.name}-authorizer"

  # CORS (var.cors): an OPTIONS method answered by API Gateway itself (MOCK, no authorizer:
  # a preflight carries no token) on every path without an OPTIONS route of its own, and the
  # CORS headers on the gateway responses above, so a browser can read a 401, 403 or 429.
  # Responses of the backends (proxy integrations) carry the backends' own headers.
  cors            = var.cors
  cors_any_origin = local.cors == null ? false : contains(local.cors.allow_origins, "*")
  # One origin (or "*") is a fixed header; several are matched against the request's Origin.
  cors_one_origin = local.cors == null ? null : (local.cors_any_origin ? "*" : (length(local.cors.allow_origins) == 1 ? local.cors.allow_origins[0] : null))
  cors_paths = local.cors == null ? [] : sort([
    for p in distinct([for r in local.routes : r.path]) : p if length([for r in local.routes : r if r.path == p && r.method == "OPTIONS"]) == 0
  ])
  cors_preflight_headers = local.cors == null ? {} : merge(
    {
      "Access-Control-Allow-Methods" = join(",", local.cors.allow_methods)
      "Access-Control-Allow-Headers" = join(",", local.cors.allow_headers)
      "Access-Control-Max-Age"       = tostring(local.cors.max_age)
    },
    local.cors_one_origin == null ? { "Vary" = "Origin" } : { "Access-Control-Allow-Origin" = local.cors_one_origin },
    local.cors.allow_credentials ? { "Access-Control-Allow-Credentials" = "true" } : {},
  )
  # Several origins: the preflight echoes the request's Origin when it is one of them.
  cors_preflight_template = local.cors == null || local.cors_one_origin != null ? "" : join("\n", [
    "#set($origin = $input.params().header.get('Origin'))",
    "#if($origin == '') #set($origin = $input.params().header.get('origin')) #end",
    "#if(${join(" || ", [for o in local.cors.allow_origins : "$origin == '${o}'"])})",
    "#set($context.responseOverride.header.Access-Control-Allow-Origin = $origin)",
    "#end",
  ])
  cors_preflight = {
    for p in local.cors_paths : p => merge(
      length(regexall("\\{[A-Za-z0-9_]+\\+?\\}", p)) == 0 ? {} : {
        parameters = [for s in compact(split("/", p)) : { name = trimsuffix(trim(s, "{}"), "+"), in = "path", required = true, schema = { type = "string" } } if startswith(s, "{")]
      },
      {
        responses = {
          "204" = {
            description = "CORS preflight"
            headers     = { for h in sort(concat(keys(local.cors_preflight_headers), local.cors_one_origin == null ? ["Access-Control-Allow-Origin"] : [])) : h => { schema = { type = "string" } } }
          }
        }
        "x-amazon-apigateway-integration" = {
          type                = "mock"
          requestTemplates    = { "application/json" = "{\"statusCode\": 204}" }
          passthroughBehavior = "when_no_match"
          responses = {
            default = {
              statusCode         = "204"
              responseParameters = { for h, v in local.cors_preflight_headers : "method.response.header.${h}" => "'${v}'" }
              responseTemplates  = { "application/json" = local.cors_preflight_template }
            }
          }
        }
      },
    )
  }
  # Gateway responses: a fixed origin, or (several origins) the request's Origin echoed; the
  # bodies are the fixed messages above, never the backend's data.
  cors_gateway_headers = local.cors == null ? {} : merge(
    { "gatewayresponse.header.Access-Control-Allow-Origin" = local.cors_one_origin == null ? "method.request.header.Origin" : "'${local.cors_one_origin}'" },
    local.cors_one_origin == null ? { "gatewayresponse.header.Vary" = "'Origin'" } : {},
    length(local.cors.expose_headers) == 0 ? {} : { "gatewayresponse.header.Access-Control-Expose-Headers" = "'${join(",", local.cors.expose_headers)}'" },
    local.cors.allow_credentials ? { "gatewayresponse.header.Access-Control-Allow-Credentials" = "'true'" } : {},
  )

  # One operation per route. Path variables are method request parameters passed on to the
  # HTTP backend; every protected route names the authorizer's security scheme, a public
  # route none (authorization NONE).
  operations = {
    for k, r in local.routes : k => merge(
      length(r.params) == 0 ? {} : {
        parameters = [for p in r.params : { name = p, in = "path", required = true, schema = { type = "string" } }]
      },
      r.public ? {} : { security = [{ (local.authorizer_name) = [] }] },
      {
        # Lambda: AWS_PROXY, POST to the function's invocation URI; HTTP (through a VPC
        # link or not): HTTP_PROXY with the route's method (or integration.method).
        "x-amazon-apigateway-integration" = merge(
          {
            type       = r.integration.type == "lambda" ? "aws_proxy" : "http_proxy"
            httpMethod = r.integration.type == "lambda" ? "POST" : coalesce(r.integration.method, r.method)
            uri = (r.integration.type == "lambda"
              ? "arn:${split(":", r.integration.uri)[1]}:apigateway:${split(":", r.integration.uri)[3]}:lambda:path/2015-03-31/functions/${r.integration.uri}/invocations"
              : r.integration.uri
            )
            timeoutInMillis     = r.timeout_ms
            passthroughBehavior = "when_no_match"
          },
          r.integration.type == "lambda" ? {} : { connectionType = r.integration.type == "vpc_link" ? "VPC_LINK" : "INTERNET" },
          r.integration.type == "vpc_link" ? { connectionId = lookup(local.vpc_link_ids, coalesce(r.integration.vpc_link, "-"), "") } : {},
          r.integration.type == "lambda" || length(r.params) == 0 ? {} : { requestParameters = { for p in r.params : "integration.request.path.${p}" => "method.request.path.${p}" } },
        )
      },
    )
  }

  # The whole API. OpenAPI 3.0: paths (ANY is x-amazon-apigateway-any-method), the
  # authorizer as a security scheme, and the gateway responses: with the document in place
  # (put_rest_api_mode overwrite) anything of the API that it does not hold is gone.
  body = jsonencode(merge({
    openapi = "3.0.1"
    info    = { title = var.name, description = "Gateway ${var.name} (REST API)", version = "1.0" }
    paths = {
      for p in distinct([for r in local.routes : r.path]) : p => merge(
        { for k, r in local.routes : (r.method == "ANY" ? "x-amazon-apigateway-any-method" : lower(r.method)) => local.operations[k] if r.path == p },
        contains(local.cors_paths, p) ? { options = local.cors_preflight[p] } : {},
      )
    }
    components = {
      securitySchemes = {
        (local.authorizer_name) = {
          type                           = "apiKey"
          name                           = local.authorizer.identity_header
          in                             = "header"
          "x-amazon-apigateway-authtype" = "custom"
          "x-amazon-apigateway-authorizer" = {
            type           = "request"
            authorizerUri  = local.authorizer.invoke_arn
            identitySource = local.identity_source
            # Always set: API Gateway's default is 300 s.
            authorizerResultTtlInSeconds = local.authorizer.result_ttl_seconds
          }
        }
      }
    }
    "x-amazon-apigateway-gateway-responses" = {
      for t, r in local.gateway_responses : t => merge(
        r.status_code == null ? {} : { statusCode = tonumber(r.status_code) },
        { responseTemplates = local.gateway_response_templates[t] },
        length(local.cors_gateway_headers) == 0 ? {} : { responseParameters = local.cors_gateway_headers },
      )
    }
    },
    # PRIVATE: the resource policy, so that the PUT which replaces the API sets it again
    # (an overwrite PUT clears the policy of an API whose document holds none).
    local.is_private ? { "x-amazon-apigateway-policy" = local.resource_policy_document } : {},
  ))

  vpc_links = module.inputs.vpc_links
  # Routes naming a link that vpc_links lacks, and links no route names.
  unknown_vpc_link_routes = sort([for k, r in local.routes : "${k} (vpc_link = \"${r.integration.vpc_link}\")" if r.integration.type == "vpc_link" && !contains(keys(local.vpc_links), coalesce(r.integration.vpc_link, "-"))])
  unused_vpc_links        = sort([for k, _ in local.vpc_links : k if !contains([for r in local.routes : coalesce(r.integration.vpc_link, "-") if r.integration.type == "vpc_link"], k)])
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
  #
  # Resources are written "execute-api:/<stage>/<method>/<path>", the short form API Gateway
  # expands to this API's ARN when it saves a policy, so the document can carry the policy
  # without naming its own API's id.
  http_methods = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"]
  public_route_resources = sort(distinct(concat(flatten([
    for r in local.routes : [
      for m in(r.method == "ANY" ? local.http_methods : [r.method]) :
      "execute-api:/${local.stage_name}/${m}/${join("/", r.segments)}"
    ] if r.public
    ]), [
    # the CORS preflights (no authorizer either)
    for p in local.cors_paths : "execute-api:/${local.stage_name}/OPTIONS/${join("/", compact(split("/", p)))}"
  ])))
  # Public routes whose ARN would hold a wildcard: path variables, or * and ? in a segment;
  # CORS preflights on such paths as "OPTIONS <path>".
  inexact_public_routes = sort(concat(
    [for k, r in local.routes : k if r.public && length(regexall("[{}*?]", r.path)) > 0],
    [for p in local.cors_paths : "OPTIONS ${p} (cors)" if length(regexall("[{}*?]", p)) > 0],
  ))
  resource_policy_document = local.is_private ? {
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid       = "DenyOutsideVpcEndpoints"
        Effect    = "Deny"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = "execute-api:/*"
        Condition = { StringNotEquals = { "aws:SourceVpce" = var.vpc_endpoint_ids } }
      }],
      length(local.public_route_resources) == 0 ? [] : [{
        Sid       = "AllowPublicRoutes"
        Effect    = "Allow"
        Principal = "*"
        Action    = "execute-api:Invoke"
        Resource  = local.public_route_resources
      }],
      var.resource_policy_statements,
    )
  } : null
  # The same policy as API Gateway stores it, for aws_api_gateway_rest_api_policy: each
  # Resource in the short form expanded to this API's ARN, as API Gateway expands it on
  # saving, and nothing else touched (the short form anywhere else is refused, see
  # var.resource_policy_statements). A Resource is a string or a list; the JSON round trip
  # gives both branches one type.
  execute_api_prefix = "${aws_api_gateway_rest_api.this.execution_arn}/"
  resource_policy = local.is_private ? jsonencode(merge(local.resource_policy_document, {
    Statement = [
      for st in local.resource_policy_document.Statement : merge(st, {
        for k, v in { Resource = try(st.Resource, null) } : k => jsondecode(can(tostring(v))
          ? jsonencode(startswith(v, "execute-api:/") ? "${local.execute_api_prefix}${trimprefix(v, "execute-api:/")}" : v)
          : jsonencode([for r in v : startswith(r, "execute-api:/") ? "${local.execute_api_prefix}${trimprefix(r, "execute-api:/")}" : r])
        ) if v != null
      })
    ]
  })) : null

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

  # The whole API (paths, integrations, authorizer, gateway responses); a PUT in overwrite
  # mode replaces what the API held.
  body              = local.body
  put_rest_api_mode = "overwrite"

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
    precondition {
      condition     = !(local.is_private && var.disable_execute_api_endpoint)
      error_message = "endpoint_type = \"PRIVATE\" with disable_execute_api_endpoint = true leaves the API unreachable: a private API is reached only through its execute-api endpoint (from the VPC endpoints in vpc_endpoint_ids), and custom domains (modules/custom-domain) do not serve private APIs. Set disable_execute_api_endpoint = false, or use endpoint_type = \"REGIONAL\" with a custom domain."
    }
    precondition {
      condition     = length(local.unknown_vpc_link_routes) == 0
      error_message = "Routes name VPC links that are not keys of vpc_links (keys: ${join(", ", sort(keys(local.vpc_links)))}): ${join(", ", local.unknown_vpc_link_routes)}; add the link to vpc_links or name an existing key in integration.vpc_link."
    }
    precondition {
      condition     = length(local.unused_vpc_links) == 0
      error_message = "vpc_links entries no route uses: ${join(", ", local.unused_vpc_links)}. A link no route names reaches nothing; remove it from vpc_links, or point a route at it (integration = { type = \"vpc_link\", vpc_link = \"<key>\", uri = ... })."
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

# Resource ids by path (output resource_ids, method ids of output routes), read once the
# document is in place.
data "aws_api_gateway_resource" "this" {
  for_each = toset(local.prefixes)

  rest_api_id = aws_api_gateway_rest_api.this.id
  path        = each.key

  depends_on = [aws_api_gateway_rest_api.this]
}

# The authorizer the document creates (output authorizer_id).
data "aws_api_gateway_authorizers" "this" {
  rest_api_id = aws_api_gateway_rest_api.this.id

  depends_on = [aws_api_gateway_rest_api.this]
}

resource "aws_lambda_permission" "authorizers" {
  statement_id  = "AllowApiGatewayAuthorizers-${aws_api_gateway_rest_api.this.id}"
  action        = "lambda:InvokeFunction"
  function_name = local.authorizer.function_name
  principal     = "apigateway.amazonaws.com"
  # The API's authorizers, which are the document's one: its id is known only once the
  # document is in place, and a permission keyed on it would be replaced (a moment without
  # one) whenever a PUT gave the authorizer a new id.
  source_arn = "${aws_api_gateway_rest_api.this.execution_arn}/authorizers/*"
}

# VPC links to network load balancers in the team's VPC (private backends).
resource "aws_api_gateway_vpc_link" "this" {
  for_each = { for k, l in local.vpc_links : k => l if l.id == null }

  name        = "${var.name}-${each.key}"
  description = "Gateway ${var.name}: ${each.key}"
  target_arns = each.value.target_arns
  tags        = var.tags
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

resource "aws_api_gateway_deployment" "document" {
  rest_api_id = aws_api_gateway_rest_api.this.id
  description = "Gateway ${var.name}"

  # Redeploy whenever the API changes: the document (routes, integrations, VPC link ids,
  # authorizer, gateway responses, CORS) and what else a deployment takes in, the resource
  # policy and the endpoint. Known at plan time, so a refresh never forces a new
  # deployment. The new deployment is made after the PUT of the document, so it holds
  # exactly the new route set: a removed route is gone with this apply.
  triggers = {
    redeployment = sha1(jsonencode([
      local.body,
      var.endpoint_type,
      var.vpc_endpoint_ids,
      local.resource_policy,
    ]))
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_api_gateway_rest_api_policy.this]
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
  deployment_id        = aws_api_gateway_deployment.document.id
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

# Until the body held the API, every route had its resources, method and integration, and
# the authorizer and gateway responses were resources of their own. The document owns them
# now (a PUT of the body replaces them in place): forget them, never delete them, or the
# destroy would remove what the document just put.
removed {
  from = aws_api_gateway_resource.d1
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_resource.d2
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_resource.d3
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_resource.d4
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_resource.d5
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_resource.d6
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_method.this
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_integration.this
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_authorizer.this
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_api_gateway_gateway_response.this
  lifecycle {
    destroy = false
  }
}

# The deployment and the authorizer's permission of the resources above are new resources
# (aws_api_gateway_deployment.document, aws_lambda_permission.authorizers): replacing the
# old ones in place would order their destroys after the new ones' creation, which follows
# the PUT, and the forgets above before it (Terraform: "Cycle"). The old ones are forgotten
# as well; docs/UPGRADE.md says how to delete them.
removed {
  from = aws_api_gateway_deployment.this
  lifecycle {
    destroy = false
  }
}

removed {
  from = aws_lambda_permission.authorizer
  lifecycle {
    destroy = false
  }
}
