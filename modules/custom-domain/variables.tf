variable "api_type" {
  description = "Kind of API the domain points at: `http` (aws_apigatewayv2_domain_name + API mapping) or `rest` (aws_api_gateway_domain_name + base path mapping)."
  type        = string
  nullable    = false

  validation {
    condition     = contains(["http", "rest"], var.api_type)
    error_message = "api_type must be \"http\" or \"rest\"."
  }
}

variable "api_id" {
  description = "Id of the HTTP or REST API the domain maps to."
  type        = string
  nullable    = false
}

variable "stage_name" {
  description = "Stage the domain (or its base path) maps to. Pass the stage resource's name (e.g. the api module's `stage_name` output), so the mapping waits for the stage."
  type        = string
  nullable    = false
}

variable "domain_name" {
  description = "The custom domain, a fully qualified lower-case name such as `api.example.com` (no scheme, no trailing dot)."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.domain_name) <= 253 && can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$", var.domain_name))
    error_message = "domain_name must be a fully qualified lower-case DNS name such as \"api.example.com\": labels of letters, digits and inner hyphens (1-63 characters each) separated by dots, at most 253 characters, no scheme, no trailing dot, no wildcard."
  }
}

variable "certificate_arn" {
  description = "ARN of an issued ACM certificate for `domain_name`, in the API's region (a REGIONAL endpoint uses a certificate of its own region). Null: the module requests one with DNS validation, which needs `hosted_zone_id`."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[A-Za-z0-9-]+$", coalesce(var.certificate_arn, "-")))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>), or null to let the module request one."
  }
}

variable "hosted_zone_id" {
  description = "Route 53 public hosted zone of `domain_name` (or of a parent domain): the module writes the certificate's DNS validation record there (when it requests the certificate) and A and AAAA alias records to the API's regional domain name. Null: you manage DNS yourself (then `certificate_arn` is required) and point a CNAME or alias at the `regional_domain_name` output."
  type        = string
  default     = null

  validation {
    condition     = var.hosted_zone_id == null || can(regex("^[A-Z0-9]{1,32}$", coalesce(var.hosted_zone_id, "-")))
    error_message = "hosted_zone_id must be a Route 53 hosted zone id, upper-case letters and digits such as \"Z0123456789ABCDEFGHIJ\" (without the /hostedzone/ prefix), or null."
  }
}

variable "base_path" {
  description = "Path under the domain that maps to the API's stage: `orders` serves the API at https://<domain_name>/orders/...; several segments (`orders/v1`) are allowed. Null: the API is served at the domain's root."
  type        = string
  default     = null

  validation {
    condition     = var.base_path == null || can(regex("^[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", coalesce(var.base_path, "-"))) && length(coalesce(var.base_path, "-")) <= 300
    error_message = "base_path must be one or more path segments of letters, digits, \".\", \"_\", \"~\" or \"-\" separated by single \"/\", without a leading or trailing \"/\" (e.g. \"orders\" or \"orders/v1\"), at most 300 characters; null maps the domain's root."
  }
}

variable "tags" {
  description = "Tags for the certificate and the domain name."
  type        = map(string)
  default     = {}
  nullable    = false
}
