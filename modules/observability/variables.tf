# The names, namespace and dimensions the dashboard and alarms read are in main.tf's
# locals, stated once; docs/observability.md lists them. name, api_id, policy_stream.topic
# and tags follow the rules of ../shared-inputs (api_id and the topic go into SEARCH and
# Metrics Insights queries: those rules keep quotes out); main.tf passes them there.

variable "name" {
  description = "Name of the gateway: the dashboard is `<name>-gateway`, the alarms `<name>-<alarm>`."
  type        = string
}

variable "api_id" {
  description = "The API's id in the developer portal's policy (the authorizer's AUTHZ_API_ID): the value of the `ApiId` dimension of the authorizer's decision metrics. Not the API Gateway id."
  type        = string
}

variable "region" {
  description = "Region of the gateway (every widget names it; CloudWatch dashboards are global)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as \"eu-west-1\"."
  }
}

variable "api" {
  description = <<-EOT
    The API Gateway API the dashboard and the 5xx alarm watch: `type` ("http" or "rest"),
    `id` (HTTP API: the `ApiId` dimension of AWS/ApiGateway), `name` (REST API: the `ApiName`
    dimension) and `stage` (the `Stage` dimension).
  EOT
  type = object({
    type  = string
    id    = optional(string)
    name  = optional(string)
    stage = string
  })
  nullable = false

  validation {
    condition     = contains(["http", "rest"], var.api.type)
    error_message = "api.type must be \"http\" or \"rest\"."
  }

  validation {
    condition     = var.api.type == "rest" ? var.api.name != null : var.api.id != null
    error_message = "api needs `id` for an HTTP API (its metrics are keyed by ApiId) and `name` for a REST API (keyed by ApiName)."
  }

  validation {
    condition     = length(var.api.stage) > 0
    error_message = "api.stage must name the stage."
  }
}

variable "authorizer" {
  description = "The authorizer function: `function_name` (the `FunctionName` dimension of AWS/Lambda), `memory_mb` and `architecture` (for GB-seconds and their price) and `log_group_name` (its log ingestion is part of the cost)."
  type = object({
    function_name  = string
    memory_mb      = number
    architecture   = string
    log_group_name = string
  })
  nullable = false

  validation {
    condition     = var.authorizer.memory_mb >= 128 && var.authorizer.memory_mb <= 10240
    error_message = "authorizer.memory_mb must be between 128 and 10240."
  }

  validation {
    condition     = contains(["arm64", "x86_64"], var.authorizer.architecture)
    error_message = "authorizer.architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "access_logs" {
  description = "The stage's access logs (null: none): `log_group_name`, whose ingestion is part of the cost, and `module_format` (default true: lines in the http-api/rest-api modules' JSON format, whose `status` the throttled-requests widget counts)."
  type = object({
    log_group_name = string
    module_format  = optional(bool, true)
  })
  default = null
}

variable "policy_stream" {
  description = "The policy stream the authorizer follows (null: baked policy only, no stream widgets or alarms): `topic` (the `Topic` dimension) and `signed` (the baked policy lists publishers: the `PolicyEntitiesWithheld` and `PolicyStreamUnanchored` gauges exist and are alarmed)."
  type = object({
    topic  = string
    signed = optional(bool, false)
  })
  default = null
}

variable "dashboard" {
  description = "Whether to create the CloudWatch dashboard `<name>-gateway` (about 3 USD a month beyond an account's first three)."
  type        = bool
  default     = true
  nullable    = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic the alarms notify (ALARM and OK). Null: no alarms are created, since an alarm nobody hears is only a cost."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}(\\.fifo)?$", coalesce(var.alarm_sns_topic_arn, "x")))
    error_message = "alarm_sns_topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>), or null for no alarms."
  }
}

variable "stale_alarm_minutes" {
  description = "The stale-view alarm fires when a decision is made on a policy view last confirmed fresh more than this many minutes ago (`PolicyStalenessMs`); 1-1440. Only with policy_stream."
  type        = number
  default     = 10
  nullable    = false

  validation {
    condition     = var.stale_alarm_minutes >= 1 && var.stale_alarm_minutes <= 1440 && floor(var.stale_alarm_minutes) == var.stale_alarm_minutes
    error_message = "stale_alarm_minutes must be a whole number of minutes between 1 and 1440."
  }
}

variable "authorizer_error_threshold" {
  description = "The authorizer-errors alarm fires when the function's Errors plus Throttles in 5 minutes exceed this (0: any)."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.authorizer_error_threshold >= 0 && floor(var.authorizer_error_threshold) == var.authorizer_error_threshold
    error_message = "authorizer_error_threshold must be a whole number, 0 or more."
  }
}

variable "server_error_alarm_percent" {
  description = "The 5xx alarm fires when more than this percentage of the API's requests in 5 minutes answer 5xx (evaluated from 10 requests in the 5 minutes up); above 0, at most 100."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.server_error_alarm_percent > 0 && var.server_error_alarm_percent <= 100
    error_message = "server_error_alarm_percent must be above 0 and at most 100."
  }
}

variable "rejected_events_threshold" {
  description = "The rejected-events alarm fires when more than this many policy records are rejected in 5 minutes (`PolicyEventsRejected`, `stale_revision` excepted: a replay of records the view already holds); 0: any. Only with policy_stream."
  type        = number
  default     = 0
  nullable    = false

  validation {
    condition     = var.rejected_events_threshold >= 0 && floor(var.rejected_events_threshold) == var.rejected_events_threshold
    error_message = "rejected_events_threshold must be a whole number, 0 or more."
  }
}

variable "prices" {
  description = <<-EOT
    Prices in USD for the dashboard's cost estimate, list prices of us-east-1 by default (check
    your region's and your contract's): `api_per_million_requests` (null: 1.00 for an HTTP API,
    3.50 for a REST API, their first tiers), `lambda_per_million_requests` (0.20),
    `lambda_per_gb_second` (null: 0.0000133334 for arm64, 0.0000166667 for x86_64) and
    `logs_per_gb_ingested` (0.50, CloudWatch Logs standard class).
  EOT
  type = object({
    api_per_million_requests    = optional(number)
    lambda_per_million_requests = optional(number, 0.20)
    lambda_per_gb_second        = optional(number)
    logs_per_gb_ingested        = optional(number, 0.50)
  })
  default  = {}
  nullable = false

  validation {
    condition = alltrue([for p in [
      var.prices.api_per_million_requests, var.prices.lambda_per_million_requests,
      var.prices.lambda_per_gb_second, var.prices.logs_per_gb_ingested,
    ] : p == null || try(p >= 0, false)])
    error_message = "prices must be 0 or more (USD)."
  }
}

variable "tags" {
  description = "Tags for the alarms (dashboards take none)."
  type        = map(string)
  default     = {}
}
