# Types, defaults and rules of the inputs this module shares with http-api live in
# ../shared-inputs (see its README); main.tf passes them there and uses what it returns.

variable "name" {
  description = "Name of the REST API and prefix of its resources."
  type        = string
}

variable "routes" {
  description = "The route table, keyed by \"METHOD /path\" (at most 6 path segments): `integration` (`type` http_proxy or lambda, `uri`, optional `method`), `timeout_ms`, `public`, `throttling`. Its type, defaults and rules: the `routes` input of modules/shared-inputs."
  type        = any

  validation {
    condition     = alltrue([for k, _ in var.routes : length(compact(split("/", try(split(" ", k)[1], "")))) <= 6])
    error_message = "A REST API route path may have at most 6 segments."
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
  description = "Endpoint type of the REST API: REGIONAL or EDGE (PRIVATE needs VPC endpoints the module does not manage)."
  type        = string
  default     = "REGIONAL"

  validation {
    condition     = contains(["REGIONAL", "EDGE"], var.endpoint_type)
    error_message = "endpoint_type must be \"REGIONAL\" or \"EDGE\"."
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

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
