variable "region" {
  description = "AWS region to deploy the gateway in (the cluster's region)."
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

variable "cluster_arn" {
  description = "ARN of the platform's central MSK cluster (in the platform account)."
  type        = string
}

variable "bootstrap_brokers" {
  description = "The cluster's SASL/IAM bootstrap brokers for multi-VPC connectivity (ports 14001-14100), as the platform team publishes them."
  type        = string
}

variable "vpc_id" {
  description = "This account's VPC for the authorizer and the multi-VPC connection."
  type        = string
}

variable "subnet_ids" {
  description = "Subnets in the cluster's AZ IDs (one per broker AZ)."
  type        = list(string)
}

variable "create_vpc_connection" {
  description = "Create the multi-VPC connection to the cluster (false when it exists already)."
  type        = bool
  default     = true
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

variable "alarm_sns_topic_arn" {
  description = "SNS topic the gateway's alarms notify (your on-call's); null: no alarms, the dashboard only."
  type        = string
  default     = null
}
