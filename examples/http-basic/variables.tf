variable "region" {
  description = "AWS region to deploy the gateway in."
  type        = string
  default     = "eu-west-1"
}

variable "name" {
  description = "Name of the gateway (prefix of its resources)."
  type        = string
  default     = "orders"
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
