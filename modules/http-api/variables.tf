# Types, defaults and rules of the inputs this module shares with rest-api live in
# ../shared-inputs (see its README); main.tf passes them there and uses what it returns.

variable "name" {
  description = "Name of the API and prefix of its resources."
  type        = string
}

variable "routes" {
  description = "The route table, keyed by \"METHOD /path\": `integration` (`type` http_proxy or lambda, `uri`, optional `method`), `timeout_ms`, `public`, `throttling`. Its type, defaults and rules: the `routes` input of modules/shared-inputs."
  type        = any
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
