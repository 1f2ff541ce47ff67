# Types, defaults and rules of the inputs this module shares with http-api live in
# ../shared-inputs (see its README); main.tf passes them there and uses what it returns.

variable "name" {
  description = "Name of the REST API and prefix of its resources."
  type        = string
}

variable "routes" {
  description = "The route table, keyed by \"METHOD /path\" (at most 6 path segments): `integration` (`type` http_proxy, lambda or vpc_link, `uri`, optional `method`; vpc_link: `vpc_link`, the key of a `vpc_links` entry, `uri` an http(s) URL to the link's NLB), `timeout_ms`, `public`, `throttling`. Its type, defaults and rules: the `routes` input of modules/shared-inputs."
  type        = any

  validation {
    condition     = alltrue([for _, r in var.routes : try(r.integration.type, null) != "vpc_link" || can(regex("^https?://[^ ]+$", try(r.integration.uri, "")))])
    error_message = "On a REST API a vpc_link integration's uri is an http(s) URL served by the link's network load balancer (e.g. https://orders.internal.example.com/orders/{id}, the host matching its certificate): REST VPC links reach NLBs only, so an ALB/NLB listener or Cloud Map ARN is for an HTTP API (api_type = \"http\")."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : try(r.integration.server_name_to_verify, null) == null])
    error_message = "integration.server_name_to_verify is an HTTP API setting; a REST API checks the NLB backend's certificate against the host of integration.uri."
  }

  # A public route has no authorizer: through a VPC link it would put a private backend on
  # the internet unauthenticated.
  validation {
    condition     = alltrue([for _, r in var.routes : !(try(r.public, false) == true && try(r.integration.type, null) == "vpc_link")])
    error_message = "A public route (public = true, no authorizer) cannot use a vpc_link integration: it would expose a private backend in the VPC without authentication. Routes at fault: ${join(", ", [for k, r in var.routes : k if try(r.public, false) == true && try(r.integration.type, null) == "vpc_link"])}. Make the route protected (public = false), or serve the public route from a public backend (http_proxy or lambda)."
  }

  validation {
    condition     = alltrue([for k, _ in var.routes : length(compact(split("/", try(split(" ", k)[1], "")))) <= 6])
    error_message = "A REST API route path may have at most 6 segments."
  }

  # In a REST API a path variable is a resource: one level holds at most one of them, so
  # "/orders/{id}" and "/orders/{orderId}/items" would be two siblings, which API Gateway
  # rejects ("A sibling ({id}) of this resource already has a variable path part").
  validation {
    condition = alltrue([for parent, parts in {
      for p in distinct(flatten([for k, _ in var.routes : [
        for i in range(1, length(compact(split("/", try(split(" ", k)[1], "")))) + 1) : join("/", slice(compact(split("/", try(split(" ", k)[1], ""))), 0, i))
      ]])) : join("/", slice(split("/", p), 0, length(split("/", p)) - 1)) => reverse(split("/", p))[0]... if startswith(reverse(split("/", p))[0], "{")
    } : length(distinct(parts)) <= 1])
    error_message = "REST API routes use different path variable names at the same level (e.g. /orders/{id} and /orders/{orderId}/items): API Gateway allows one variable per level. Use one name at each level in every route."
  }
}

variable "cors" {
  description = "CORS of the REST API, the shape of the HTTP API's `cors`; null: no CORS. API Gateway answers the preflight (an OPTIONS method with a MOCK integration and no authorizer on every path without an OPTIONS route of its own) and the gateway responses (401, 403, 429, ...) carry the CORS headers; responses of the backends carry the backends' own headers. With allow_credentials, origins must be explicit."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    allow_headers     = optional(list(string), ["authorization", "content-type"])
    expose_headers    = optional(list(string), [])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 300)
  })
  default = null

  validation {
    condition     = var.cors == null || length(try(var.cors.allow_origins, [])) > 0
    error_message = "cors.allow_origins must list at least one origin (or set cors = null)."
  }

  validation {
    condition     = var.cors == null || !(try(var.cors.allow_credentials, false) && contains(try(var.cors.allow_origins, []), "*"))
    error_message = "cors.allow_credentials = true needs explicit origins, not \"*\"."
  }

  validation {
    condition     = var.cors == null || (try(var.cors.max_age, 0) >= 0 && try(var.cors.max_age, 0) <= 86400)
    error_message = "cors.max_age must be between 0 and 86400 seconds."
  }

  # The values go into API Gateway's header mappings as quoted literals.
  validation {
    condition     = var.cors == null || alltrue([for v in concat(try(var.cors.allow_origins, []), try(var.cors.allow_methods, []), try(var.cors.allow_headers, []), try(var.cors.expose_headers, [])) : can(regex("^[!-&(-~]+$", v))])
    error_message = "cors origins, methods and headers must be printable ASCII without spaces or quotes (e.g. https://app.example.com, content-type)."
  }
}

variable "vpc_links" {
  description = "VPC links the routes' vpc_link integrations name, by key: an existing link (`id`) or one this module creates from `target_arns` (network load balancer ARNs). Its type, defaults and rules: the `vpc_links` input of modules/shared-inputs."
  type        = any
  default     = {}

  validation {
    condition     = alltrue([for _, l in var.vpc_links : try(l.subnet_ids, null) == null && length(try(coalesce(l.security_group_ids, []), [])) == 0])
    error_message = "vpc_links[*].subnet_ids and security_group_ids are for an HTTP API link; a REST API VPC link takes target_arns, the ARNs of its network load balancers."
  }
}

variable "authorizer" {
  description = "The Lambda authorizer: `function_name`, `invoke_arn`, `result_ttl_seconds` (0: no cache) and `identity_header`. Its type, defaults and rules: the `api_authorizer` input of modules/shared-inputs."
  type        = any
}

variable "stage_name" {
  description = "Name of the stage (part of the invoke URL); null: \"v1\"."
  type        = string
  default     = null
}

variable "throttling" {
  description = "Default throttling of every route: `burst_limit`, `rate_limit` (requests per second). Its type, defaults and rules: the `throttling` input of modules/shared-inputs."
  type        = any
  default     = {}
}

variable "endpoint_type" {
  description = "Endpoint type of the REST API: REGIONAL, EDGE or PRIVATE (reachable only through the interface VPC endpoints for execute-api listed in `vpc_endpoint_ids`, which the module does not create)."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "EDGE", "PRIVATE"], var.endpoint_type)
    error_message = "endpoint_type must be \"REGIONAL\", \"EDGE\" or \"PRIVATE\"."
  }
}

variable "vpc_endpoint_ids" {
  description = "PRIVATE only (required there): ids (vpce-...) of the interface VPC endpoints for execute-api that may invoke the API. The module attaches them to the API and a resource policy that allows execute-api:Invoke only through them (aws:SourceVpce). Empty with REGIONAL or EDGE."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for id in var.vpc_endpoint_ids : can(regex("^vpce-[0-9a-f]{8,17}$", id))])
    error_message = "vpc_endpoint_ids must be VPC endpoint ids (vpce- followed by 8 to 17 hex digits)."
  }
}

variable "resource_policy_statements" {
  description = "PRIVATE only: extra Deny statements (JSON-encodable objects with Effect = \"Deny\", Principal, Action, Resource, optional Condition and Sid) appended to the module's resource policy, e.g. a Deny for one source VPC. Write resources in API Gateway's short form (\"execute-api:/*/DELETE/*\"), which it expands to this API's ARN. Only Deny: an Allow would open every protected route the authorizer's answer is silent on (docs/module.md, \"Private REST APIs\")."
  type        = any
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for st in var.resource_policy_statements : try(st.Effect, "") == "Deny"])
    error_message = "resource_policy_statements: every statement needs Effect = \"Deny\". An Allow in the resource policy allows what the Lambda authorizer does not explicitly deny; grant access through the policy (routes and scopes) instead."
  }
  validation {
    condition     = alltrue([for st in var.resource_policy_statements : !strcontains(try(jsonencode({ for k, v in st : k => v if k != "Resource" }), ""), "\"execute-api:/")])
    error_message = "resource_policy_statements: the short form \"execute-api:/...\" is expanded in Resource only; elsewhere (NotResource, a Condition) write the full ARN or a pattern such as \"arn:aws:execute-api:*:*:*/v1/GET/health\"."
  }
  validation {
    condition     = alltrue([for st in var.resource_policy_statements : !contains(["DenyOutsideVpcEndpoints", "AllowPublicRoutes"], try(st.Sid, ""))])
    error_message = "resource_policy_statements: the Sids DenyOutsideVpcEndpoints and AllowPublicRoutes are the module's own; choose another Sid."
  }
}

variable "rest_account_logging" {
  description = <<-EOT
    REST access logs (on by default) need the API Gateway account setting "CloudWatch log role
    ARN", once per account and region; a fresh account has none and the stage fails to deploy.
    `existing`: the account has it (set by the platform team). `create`: this module creates
    the role (AmazonAPIGatewayPushToCloudWatchLogs) and sets it (`aws_api_gateway_account`, an
    account-wide setting: let one gateway per account and region manage it). Null: refused
    while access logs are on, so the choice is explicit.
  EOT
  type        = string
  default     = null

  validation {
    condition     = var.rest_account_logging == null || contains(["existing", "create"], coalesce(var.rest_account_logging, "existing"))
    error_message = "rest_account_logging must be \"existing\" or \"create\"."
  }
}

variable "disable_execute_api_endpoint" {
  description = "Turn off the default execute-api endpoint (`invoke_url`), so clients can only reach the API through a custom domain (modules/custom-domain). Only with a custom domain: without one the API is unreachable."
  type        = bool
  default     = false
  nullable    = false
}

variable "waf_web_acl_arn" {
  description = "ARN of a regional WAFv2 web ACL to associate with the stage (the ACL is the platform's or the team's; this module only associates it). Null: no association."
  type        = string
  default     = null

  validation {
    condition     = var.waf_web_acl_arn == null || can(regex("^arn:aws[a-z-]*:wafv2:[a-z0-9-]+:[0-9]{12}:regional/webacl/[A-Za-z0-9_-]{1,128}/[0-9a-f-]{36}$", coalesce(var.waf_web_acl_arn, "x")))
    error_message = "waf_web_acl_arn must be a regional WAFv2 web ACL ARN (arn:aws:wafv2:<region>:<account>:regional/webacl/<name>/<id>): API Gateway stages take regional web ACLs only, never CLOUDFRONT ones."
  }
}

variable "xray_tracing" {
  description = "X-Ray tracing on the stage."
  type        = bool
  default     = false
}

variable "access_logs" {
  description = "Access logs of the stage: `enabled`, `retention_days`, `format` (null: the module's JSON format), `kms_key_arn`. Its type, defaults and rules: the `access_logs` input of modules/shared-inputs."
  type        = any
  default     = {}
}

variable "iam" {
  description = "Guardrails for the IAM role this module creates (the account's API Gateway CloudWatch Logs role, rest_account_logging = \"create\"): `permissions_boundary_arn` (null: none) and `role_path` (default \"/\"). Its type, defaults and rules: the `iam` input of modules/shared-inputs."
  type        = any
  default     = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
