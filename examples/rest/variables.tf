variable "region" {
  description = "AWS region to deploy the gateway in."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the gateway (prefix of its resources)."
  type        = string
  default     = "orders-rest"
}

variable "backend_url" {
  description = "Base URL of the orders service the routes proxy to."
  type        = string
  default     = "https://orders.internal.example.com"
}

variable "policy_layer_zip" {
  description = "The policy layer zip: policy/orders-baked.json packed as gateway-policy.json (see README)."
  type        = string
  default     = "build/policy-layer.zip"
}

variable "authorizer_zip" {
  description = "A bootstrap zip of your own; null deploys the release the module version pins (modules/authorizer/release.json), or in a checkout without one dist/bootstrap-arm64.zip (make build)."
  type        = string
  default     = null
}

variable "rest_account_logging" {
  description = "\"create\": the module sets the account's API Gateway CloudWatch Logs role (a fresh account has none); \"existing\": the account already has one (keep it)."
  type        = string
  default     = "create"
}

variable "domain_name" {
  description = "Custom domain for the API, e.g. api.example.com; null: none, only the execute-api invoke URL."
  type        = string
  default     = null
}

variable "hosted_zone_id" {
  description = "Route 53 zone of domain_name: the module writes the certificate's validation record and the alias records there. Null: you manage DNS (then certificate_arn is required)."
  type        = string
  default     = null
}

variable "certificate_arn" {
  description = "An issued ACM certificate for domain_name in var.region; null: the module requests one (needs hosted_zone_id)."
  type        = string
  default     = null
}
