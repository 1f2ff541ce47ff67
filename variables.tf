# ---------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------

variable "name" {
  description = "Name of the gateway: prefix of every resource (API, function `<name>-authorizer`, role, log groups, security group)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "api_id" {
  description = "The API's id in the developer portal's policy: the baked policy must list it in `apis[].id`; the authorizer only allows routes of this API."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", var.api_id))
    error_message = "api_id must be 1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit."
  }
}

variable "api_type" {
  description = "Kind of API Gateway: `http` (HTTP API, default) or `rest` (REST API)."
  type        = string
  default     = "http"

  validation {
    condition     = contains(["http", "rest"], var.api_type)
    error_message = "api_type must be \"http\" or \"rest\"."
  }
}

# ---------------------------------------------------------------------------------------
# Routing and throttling (the team's)
# ---------------------------------------------------------------------------------------

variable "routes" {
  description = <<-EOT
    Routes keyed by "METHOD /path" (METHOD: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY;
    path parameters as {name}, a greedy last one as {name+}; REST APIs allow at most 6 path
    segments). Each route has:
    - `integration`: `type` = "http_proxy" with `uri` an http(s) URL (`method` defaults to the
      route's), or "lambda" with `uri` a Lambda function ARN (the module grants API Gateway
      permission to invoke it);
    - `timeout_ms` (50-29000, default 29000);
    - `public` (default false): true puts no authorizer on this route at all;
    - `throttling` (optional `{ burst_limit, rate_limit }`) overriding `throttling` for this route.
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
    error_message = "integration.uri must be an http(s) URL for http_proxy and a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>) for lambda."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : r.integration.method == null || contains(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"], coalesce(r.integration.method, "GET"))])
    error_message = "integration.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : r.timeout_ms >= 50 && r.timeout_ms <= 29000])
    error_message = "Every route's timeout_ms must be between 50 and 29000."
  }

  validation {
    condition     = alltrue([for _, r in var.routes : r.throttling == null || try(r.throttling.burst_limit >= 1 && r.throttling.rate_limit > 0, false)])
    error_message = "A route's throttling needs burst_limit >= 1 and rate_limit > 0: a limit of 0 rejects every request with 429."
  }

  validation {
    condition     = length([for _, r in var.routes : r if !r.public]) > 0
    error_message = "At least one route must be protected (public = false): a gateway of public routes only needs no authorizer."
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
  description = "Default throttling of every route: `burst_limit` requests, `rate_limit` requests per second. 0 is rejected: it turns every request into a 429."
  type = object({
    burst_limit = optional(number, 200)
    rate_limit  = optional(number, 100)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.throttling.burst_limit >= 1 && floor(var.throttling.burst_limit) == var.throttling.burst_limit
    error_message = "throttling.burst_limit must be a whole number, 1 or more: 0 rejects every request with 429."
  }

  validation {
    condition     = var.throttling.rate_limit > 0
    error_message = "throttling.rate_limit must be above 0 (requests per second): 0 rejects every request with 429."
  }
}

variable "cors" {
  description = "CORS of the HTTP API (ignored for REST, where backends answer OPTIONS); null: no CORS. With allow_credentials, origins must be explicit."
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

variable "access_logs" {
  description = "Access logs of the stage: JSON lines (`format` null uses the module's JSON format) in a log group with `retention_days`; optional `kms_key_arn`."
  type = object({
    enabled        = optional(bool, true)
    retention_days = optional(number, 30)
    format         = optional(string)
    kms_key_arn    = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.access_logs.retention_days)
    error_message = "access_logs.retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = var.access_logs.format == null || can(jsondecode(coalesce(var.access_logs.format, "{}")))
    error_message = "access_logs.format must be a JSON object of $context variables (JSON lines)."
  }
}

variable "tags" {
  description = "Tags applied to every resource the module creates (e.g. team and cost centre for cost allocation)."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be 1-128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

# ---------------------------------------------------------------------------------------
# Authorization (the platform's)
# ---------------------------------------------------------------------------------------

variable "baked_policy_json" {
  description = "The baked policy document (schema `gateway-policy/v1`): the floor the authorizer serves from its first invocation, e.g. `file(\"policy/orders-baked.json\")`. It must list `api_id` in `apis`."
  type        = string

  validation {
    condition     = can(jsondecode(var.baked_policy_json))
    error_message = "baked_policy_json must be a JSON document."
  }

  validation {
    condition     = try(jsondecode(var.baked_policy_json).schema, "") == "gateway-policy/v1"
    error_message = "baked_policy_json must have \"schema\": \"gateway-policy/v1\"."
  }
}

variable "policy_layer" {
  description = <<-EOT
    The Lambda layer zip that carries `baked_policy_json` as `gateway-policy.json` at its root
    (the function reads `/opt/gateway-policy.json`): `zip_path` (a local file) or `s3_bucket` +
    `s3_key` (+ `s3_object_version`). Build it from the same file as `baked_policy_json`, e.g.
    `cp policy/orders-baked.json build/gateway-policy.json && (cd build && zip -X policy-layer.zip gateway-policy.json)`.
    A policy change is then a new layer version; the authorizer binary stays the released one.
  EOT
  type = object({
    zip_path          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
  })
  nullable = false

  validation {
    condition     = (var.policy_layer.zip_path != null) != (var.policy_layer.s3_bucket != null && var.policy_layer.s3_key != null)
    error_message = "policy_layer needs exactly one source: zip_path, or s3_bucket and s3_key."
  }

  validation {
    condition     = var.policy_layer.zip_path == null || endswith(coalesce(var.policy_layer.zip_path, "x.zip"), ".zip")
    error_message = "policy_layer.zip_path must name a .zip file."
  }
}

variable "authorizer" {
  description = <<-EOT
    Settings of the authorizer function:
    - `architecture`: "arm64" (default) or "x86_64";
    - `memory_mb` (128-10240, default 256), `timeout_s` (1-10, default 5);
    - `log_level`: error, warn, info (default) or debug;
    - `max_staleness_ms` (default 1000) and `sync_budget_ms` (default 50): freshness of the policy-stream view;
    - `result_ttl_seconds` (0-3600, default 0): API Gateway's authorizer cache; above 0 the cache key holds the token, the method and the path;
    - `log_retention_days` (default 30), `kms_key_arn`, `reserved_concurrency` (-1: none), `tracing_mode` (PassThrough/Active).
  EOT
  type = object({
    architecture         = optional(string, "arm64")
    memory_mb            = optional(number, 256)
    timeout_s            = optional(number, 5)
    log_level            = optional(string, "info")
    max_staleness_ms     = optional(number, 1000)
    sync_budget_ms       = optional(number, 50)
    result_ttl_seconds   = optional(number, 0)
    log_retention_days   = optional(number, 30)
    kms_key_arn          = optional(string)
    reserved_concurrency = optional(number, -1)
    tracing_mode         = optional(string, "PassThrough")
  })
  default  = {}
  nullable = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.authorizer.architecture)
    error_message = "authorizer.architecture must be \"arm64\" or \"x86_64\"."
  }

  validation {
    condition     = var.authorizer.memory_mb >= 128 && var.authorizer.memory_mb <= 10240 && floor(var.authorizer.memory_mb) == var.authorizer.memory_mb
    error_message = "authorizer.memory_mb must be a whole number between 128 and 10240."
  }

  validation {
    condition     = var.authorizer.timeout_s >= 1 && var.authorizer.timeout_s <= 10 && floor(var.authorizer.timeout_s) == var.authorizer.timeout_s
    error_message = "authorizer.timeout_s must be a whole number of seconds between 1 and 10 (API Gateway waits at most 10 s for an authorizer)."
  }

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.authorizer.log_level)
    error_message = "authorizer.log_level must be one of error, warn, info, debug."
  }

  validation {
    condition     = var.authorizer.max_staleness_ms >= 0 && floor(var.authorizer.max_staleness_ms) == var.authorizer.max_staleness_ms
    error_message = "authorizer.max_staleness_ms must be a whole number of milliseconds, 0 or more."
  }

  validation {
    condition     = var.authorizer.sync_budget_ms >= 0 && var.authorizer.sync_budget_ms <= 5000 && floor(var.authorizer.sync_budget_ms) == var.authorizer.sync_budget_ms
    error_message = "authorizer.sync_budget_ms must be a whole number of milliseconds between 0 and 5000."
  }

  validation {
    condition     = var.authorizer.result_ttl_seconds >= 0 && var.authorizer.result_ttl_seconds <= 3600 && floor(var.authorizer.result_ttl_seconds) == var.authorizer.result_ttl_seconds
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds between 0 and 3600."
  }

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.authorizer.log_retention_days)
    error_message = "authorizer.log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }

  validation {
    condition     = var.authorizer.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.authorizer.kms_key_arn, "x")))
    error_message = "authorizer.kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }

  validation {
    condition     = var.authorizer.reserved_concurrency >= -1 && floor(var.authorizer.reserved_concurrency) == var.authorizer.reserved_concurrency
    error_message = "authorizer.reserved_concurrency must be -1 (unreserved) or a whole number, 0 or more."
  }

  validation {
    condition     = contains(["PassThrough", "Active"], var.authorizer.tracing_mode)
    error_message = "authorizer.tracing_mode must be \"PassThrough\" or \"Active\"."
  }
}

variable "authorizer_artifact" {
  description = <<-EOT
    Where the authorizer's `bootstrap` zip comes from. Default: `dist/bootstrap-<architecture>.zip`
    in this module, built by `make build`. Or `zip_path` to another local zip, or an S3 object
    (`s3_bucket`, `s3_key`, optional `s3_object_version`, and `source_code_hash` = base64 SHA-256
    of the zip so a new artifact redeploys).
  EOT
  type = object({
    zip_path          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    source_code_hash  = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !(var.authorizer_artifact.zip_path != null && var.authorizer_artifact.s3_bucket != null)
    error_message = "authorizer_artifact takes either zip_path or s3_bucket/s3_key, not both."
  }

  validation {
    condition     = (var.authorizer_artifact.s3_bucket == null) == (var.authorizer_artifact.s3_key == null)
    error_message = "authorizer_artifact.s3_bucket and authorizer_artifact.s3_key go together."
  }

  validation {
    condition     = var.authorizer_artifact.zip_path == null || endswith(coalesce(var.authorizer_artifact.zip_path, "x.zip"), ".zip")
    error_message = "authorizer_artifact.zip_path must name a .zip file."
  }
}

# ---------------------------------------------------------------------------------------
# Policy stream (optional): the central MSK cluster's policy topic
# ---------------------------------------------------------------------------------------

variable "policy_stream" {
  description = <<-EOT
    The policy topic on the central MSK cluster (null: the baked policy only).
    - `cluster_arn`, `topic` (default "gateway-policy.v1");
    - `bootstrap_brokers`: the SASL/IAM bootstrap list (comma-separated host:port). Pass it when known
      (the platform team publishes it, or `data "aws_msk_bootstrap_brokers"`): a function in a VPC
      without NAT cannot call GetBootstrapBrokers. `lookup_brokers = true` reads it with that data
      source at plan time (the multi-VPC list across accounts);
    - `vpc_id`, `subnet_ids` (across accounts: in the cluster's AZ IDs), `security_group_ids`
      (empty: the module creates one that only reaches the brokers), `broker_cidr_blocks`;
    - `cross_account` (null: the cluster ARN's account differs from ours) and
      `create_vpc_connection` (default true): multi-VPC private connectivity, TCP 14001-14100;
    - `group_prefix` (default "gateway-authz-<name>"), `tombstone_retention_ms` (the topic's
      delete.retention.ms, default 86400000).
  EOT
  type = object({
    cluster_arn            = string
    topic                  = optional(string, "gateway-policy.v1")
    bootstrap_brokers      = optional(string)
    lookup_brokers         = optional(bool, false)
    vpc_id                 = string
    subnet_ids             = list(string)
    security_group_ids     = optional(list(string), [])
    broker_cidr_blocks     = optional(list(string))
    cross_account          = optional(bool)
    create_vpc_connection  = optional(bool, true)
    group_prefix           = optional(string)
    tombstone_retention_ms = optional(number, 86400000)
  })
  default = null

  validation {
    condition     = var.policy_stream == null || can(regex("^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[^/]+/[^/]+$", try(var.policy_stream.cluster_arn, "")))
    error_message = "policy_stream.cluster_arn must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)."
  }

  validation {
    condition     = var.policy_stream == null || can(regex("^[A-Za-z0-9._-]{1,249}$", try(var.policy_stream.topic, "")))
    error_message = "policy_stream.topic must be a Kafka topic name: 1-249 characters of letters, digits, '.', '_' or '-'."
  }

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.bootstrap_brokers, null) == null || can(regex("^[A-Za-z0-9.-]+:[0-9]{2,5}(,[A-Za-z0-9.-]+:[0-9]{2,5})*$", try(var.policy_stream.bootstrap_brokers, "")))
    error_message = "policy_stream.bootstrap_brokers must be a comma-separated list of host:port."
  }

  validation {
    condition     = var.policy_stream == null || !(try(var.policy_stream.lookup_brokers, false) && try(var.policy_stream.bootstrap_brokers, null) != null)
    error_message = "policy_stream takes bootstrap_brokers or lookup_brokers = true, not both."
  }

  validation {
    condition     = var.policy_stream == null || can(regex("^vpc-[0-9a-f]+$", try(var.policy_stream.vpc_id, "")))
    error_message = "policy_stream.vpc_id must be a VPC id (vpc-...)."
  }

  validation {
    condition     = var.policy_stream == null || (length(try(var.policy_stream.subnet_ids, [])) > 0 && alltrue([for s in try(var.policy_stream.subnet_ids, []) : can(regex("^subnet-[0-9a-f]+$", s))]))
    error_message = "policy_stream.subnet_ids must list at least one subnet id (subnet-...)."
  }

  validation {
    condition     = var.policy_stream == null || alltrue([for s in try(coalesce(var.policy_stream.security_group_ids, []), []) : can(regex("^sg-[0-9a-f]+$", s))])
    error_message = "policy_stream.security_group_ids must be security group ids (sg-...)."
  }

  validation {
    condition     = var.policy_stream == null || alltrue([for c in try(coalesce(var.policy_stream.broker_cidr_blocks, []), []) : can(cidrhost(c, 0)) && c != "0.0.0.0/0"])
    error_message = "policy_stream.broker_cidr_blocks must be IPv4 CIDR blocks, and not 0.0.0.0/0."
  }

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.group_prefix, null) == null || can(regex("^[A-Za-z0-9._-]{3,200}$", try(var.policy_stream.group_prefix, "")))
    error_message = "policy_stream.group_prefix must be 3-200 characters of letters, digits, '.', '_' or '-' (no wildcards)."
  }

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.tombstone_retention_ms, 0) > 0
    error_message = "policy_stream.tombstone_retention_ms must be above 0 (the topic's delete.retention.ms)."
  }
}
