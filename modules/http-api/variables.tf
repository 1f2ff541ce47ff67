variable "name" {
  description = "Name of the API and prefix of its resources."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "routes" {
  description = <<-EOT
    Routes keyed by "METHOD /path" (METHOD: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY;
    path parameters as {name}, a greedy last one as {name+}). Each has an `integration`
    (`type` = "http_proxy" with `uri` a URL, or "lambda" with `uri` a Lambda function ARN;
    `method` for http_proxy, default the route's), `timeout_ms`, `public` (true: no
    authorizer on this route) and optional `throttling` overriding the stage default.
  EOT
  type = map(object({
    integration = object({
      type   = string
      uri    = string
      method = optional(string)
    })
    timeout_ms = optional(number, 29000)
    public     = optional(bool, false)
    throttling = optional(object({
      burst_limit = number
      rate_limit  = number
    }))
  }))

  validation {
    condition     = length(var.routes) > 0
    error_message = "routes must have at least one route."
  }

  validation {
    condition     = alltrue([for k, _ in var.routes : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\}|\\{[A-Za-z0-9_]+\\+\\})?(/([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\}|\\{[A-Za-z0-9_]+\\+\\}))*$", k))])
    error_message = "Every route key must be \"METHOD /path\": METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY; path segments of letters, digits, '.', '_', '~', '-', or {param} / {param+}."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : contains(["http_proxy", "lambda"], r.integration.type)])
    error_message = "Every route's integration.type must be \"http_proxy\" or \"lambda\"."
  }

  validation {
    condition = alltrue([for _, r in var.routes : (
      r.integration.type == "http_proxy" ? can(regex("^https?://[^ ]+$", r.integration.uri)) : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", r.integration.uri))
    )])
    error_message = "integration.uri must be an http(s) URL for http_proxy and a Lambda function ARN for lambda."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : r.timeout_ms >= 50 && r.timeout_ms <= 29000])
    error_message = "Every route's timeout_ms must be between 50 and 29000."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : r.throttling == null || try(r.throttling.burst_limit >= 1 && r.throttling.rate_limit > 0, false)])
    error_message = "A route's throttling needs burst_limit >= 1 and rate_limit > 0: a limit of 0 rejects every request with 429."
  }
}

variable "authorizer" {
  description = "The Lambda authorizer: its function name, invoke ARN, result cache TTL in seconds (0: no cache; above 0 the cache key holds the token header, method, path and route key) and `identity_header`, the request header holding the bearer token. The platform authorizer reads `Authorization`; change the header only together with an authorizer of your own."
  type = object({
    function_name      = string
    invoke_arn         = string
    result_ttl_seconds = optional(number, 0)
    identity_header    = optional(string, "Authorization")
  })

  validation {
    condition     = var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600
    error_message = "authorizer.result_ttl_seconds must be between 0 and 3600."
  }
}

variable "stage_name" {
  description = "Name of the stage (part of the invoke URL)."
  type        = string
  default     = "v1"

  validation {
    condition     = can(regex("^[A-Za-z0-9_-]{1,128}$", var.stage_name))
    error_message = "stage_name must be 1-128 letters, digits, '_' or '-'."
  }
}

variable "throttling" {
  description = "Default throttling of every route: burst_limit requests, rate_limit requests per second."
  type = object({
    burst_limit = optional(number, 200)
    rate_limit  = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.throttling.burst_limit >= 1 && var.throttling.rate_limit > 0
    error_message = "throttling needs burst_limit >= 1 and rate_limit > 0: a limit of 0 rejects every request with 429."
  }
}

variable "cors" {
  description = "CORS configuration of the HTTP API; null: no CORS."
  type = object({
    allow_origins     = list(string)
    allow_methods     = optional(list(string), ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"])
    allow_headers     = optional(list(string), ["authorization", "content-type"])
    expose_headers    = optional(list(string), [])
    allow_credentials = optional(bool, false)
    max_age           = optional(number, 300)
  })
  default = null
}

variable "access_logs" {
  description = "Access logs of the stage: JSON lines in a log group with retention (days); format null uses the module's JSON format."
  type = object({
    enabled        = optional(bool, true)
    retention_days = optional(number, 30)
    format         = optional(string)
    kms_key_arn    = optional(string)
  })
  default  = {}
  nullable = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
