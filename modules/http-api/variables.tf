# Types, defaults and rules of the inputs this module shares with rest-api live in
# ../shared-inputs (see its README); main.tf passes them there and uses what it returns.

variable "name" {
  description = "Name of the API and prefix of its resources."
  type        = string
}

variable "routes" {
  description = "The route table, keyed by \"METHOD /path\": `integration` (`type` http_proxy, lambda or vpc_link, `uri`, optional `method`; vpc_link: `vpc_link`, the key of a `vpc_links` entry, `uri` an ALB/NLB listener ARN or Cloud Map service ARN, optional `server_name_to_verify`), `timeout_ms`, `public`, `throttling`. Its type, defaults and rules: the `routes` input of modules/shared-inputs."
  type        = any

  validation {
    condition     = alltrue([for _, r in var.routes : try(r.integration.type, null) != "vpc_link" || !can(regex("^https?://", try(r.integration.uri, "")))])
    error_message = "On an HTTP API a vpc_link integration's uri is the ALB/NLB listener ARN (arn:aws:elasticloadbalancing:...:listener/...) or the Cloud Map service ARN (arn:aws:servicediscovery:...:service/srv-...), not a URL: API Gateway picks the backend through the link."
  }
}

variable "vpc_links" {
  description = "VPC links the routes' vpc_link integrations name, by key: an existing link (`id`) or one this module creates from `subnet_ids` and `security_group_ids`. Its type, defaults and rules: the `vpc_links` input of modules/shared-inputs."
  type        = any
  default     = {}

  validation {
    condition     = alltrue([for _, l in var.vpc_links : try(l.target_arns, null) == null])
    error_message = "vpc_links[*].target_arns is for a REST API link (NLBs); an HTTP API VPC link takes subnet_ids and security_group_ids, and routes name the listener in integration.uri."
  }
}

variable "authorizer" {
  description = "The Lambda authorizer: `function_name`, `invoke_arn`, `result_ttl_seconds` (0: no cache; above 0 the cache key holds the token header, method, path and route key) and `identity_header`. Its type, defaults and rules: the `api_authorizer` input of modules/shared-inputs."
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

variable "cors" {
  description = "CORS configuration of the HTTP API; null: no CORS. With allow_credentials, origins must be explicit."
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
}

variable "disable_execute_api_endpoint" {
  description = "Turn off the default execute-api endpoint (`invoke_url`), so clients can only reach the API through a custom domain (modules/custom-domain). Only with a custom domain: without one the API is unreachable."
  type        = bool
  default     = false
  nullable    = false
}

variable "access_logs" {
  description = "Access logs of the stage: `enabled`, `retention_days`, `format` (null: the module's JSON format), `kms_key_arn`. Its type, defaults and rules: the `access_logs` input of modules/shared-inputs."
  type        = any
  default     = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
