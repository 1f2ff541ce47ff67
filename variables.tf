# The root passes its inputs on to the submodules, which check them: each rule is written
# once, in the submodule that uses the value (or, for inputs several submodules share, in
# modules/shared-inputs), so a submodule used on its own checks its inputs as the root does.
# Types, defaults and ranges are in each submodule's README. Only the root's own inputs
# (api_type, lookup_brokers) are checked here, and (output stage_arn) that waf_web_acl_arn
# comes with a REST API.

# ---------------------------------------------------------------------------------------
# Identity
# ---------------------------------------------------------------------------------------

variable "name" {
  description = "Name of the gateway: prefix of every resource (API, function `<name>-authorizer`, role, log groups, security group). 3-40 characters: lower-case letters, digits and hyphens."
  type        = string
}

variable "api_id" {
  description = "The API's id in the developer portal's policy: the baked policy must list it in `apis[].id`; the authorizer only allows routes of this API."
  type        = string
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
    segments). Each route has an `integration` (`type` "http_proxy" with `uri` an http(s) URL,
    "lambda" with `uri` a Lambda function ARN, or "vpc_link" with `vpc_link` a key of
    `vpc_links` and `uri` an ALB/NLB listener ARN or Cloud Map service ARN (HTTP API; optional
    `server_name_to_verify`) or an http(s) URL served by the link's NLB (REST API); optional
    `method`), `timeout_ms`, `public` (true: no authorizer on this route) and optional
    `throttling`. Type, defaults and rules: `routes` in modules/shared-inputs/README.md.
  EOT
  type        = any
}

variable "vpc_links" {
  description = <<-EOT
    VPC links to private backends, keyed by the name `vpc_link` routes use. Each is an existing
    link (`id`) or one the module creates, named "<name>-<key>" and tagged: for an HTTP API from
    `subnet_ids` and `security_group_ids`, for a REST API from `target_arns` (network load
    balancer ARNs; an ALB is refused). Type, defaults and rules: `vpc_links` in
    modules/shared-inputs/README.md.
  EOT
  type        = any
  default     = {}
}

variable "stage_name" {
  description = "Name of the stage (part of the invoke URL); null: \"v1\"."
  type        = string
  default     = null
}

variable "throttling" {
  description = "Default throttling of every route: `burst_limit` requests, `rate_limit` requests per second; 0 is rejected (it turns every request into a 429). Defaults: `throttling` in modules/shared-inputs/README.md."
  type        = any
  default     = {}
}

variable "cors" {
  description = "CORS of the API; null: no CORS. With allow_credentials, origins must be explicit. HTTP API: the API's CORS configuration. REST API: an OPTIONS method with a MOCK integration (no authorizer) on every path without an OPTIONS route of its own, and the CORS headers on the gateway responses; backends' responses carry the backends' own headers. Type and defaults: `cors` in modules/http-api/README.md (the same in modules/rest-api)."
  type        = any
  default     = null
}

variable "access_logs" {
  description = "Access logs of the stage: `enabled`, `retention_days`, `format` (null: the module's JSON format), `kms_key_arn`. Type and defaults: `access_logs` in modules/shared-inputs/README.md."
  type        = any
  default     = {}
}

variable "rest_account_logging" {
  description = "REST only, with access logs on: whether the account's API Gateway CloudWatch Logs role (an account and region setting a fresh account lacks) `existing`ly is set, or this module should `create` it. Null is refused for a REST API with access logs, so the choice is explicit. Details: `rest_account_logging` in modules/rest-api/README.md."
  type        = string
  default     = null
}

variable "waf_web_acl_arn" {
  description = "REST only: ARN of a regional WAFv2 web ACL to associate with the stage (null: none). An HTTP API cannot be associated with WAF, so it is refused with `api_type = \"http\"`. Rules: `waf_web_acl_arn` in modules/rest-api/README.md."
  type        = string
  default     = null
}

variable "endpoint_type" {
  description = "REST only: endpoint type of the REST API, REGIONAL (default), EDGE or PRIVATE (reachable only through the interface VPC endpoints for execute-api in `vpc_endpoint_ids`). An HTTP API is always regional: any other value is refused with `api_type = \"http\"`. PRIVATE cannot have a `custom_domain` (the module's regional domain names do not serve private APIs). Rules: `endpoint_type` in modules/rest-api/README.md."
  type        = string
  default     = "REGIONAL"
  nullable    = false
}

variable "vpc_endpoint_ids" {
  description = "REST with `endpoint_type = \"PRIVATE\"` only, and required there: ids (vpce-...) of the interface VPC endpoints for execute-api that may invoke the API; the resource policy allows execute-api:Invoke only through them. Rules: `vpc_endpoint_ids` in modules/rest-api/README.md."
  type        = list(string)
  default     = []
  nullable    = false
}

variable "resource_policy_statements" {
  description = "REST with `endpoint_type = \"PRIVATE\"` only: extra Deny statements appended to the API's resource policy (e.g. for some methods); an Allow is refused, as it would allow what the authorizer does not explicitly deny. Rules: `resource_policy_statements` in modules/rest-api/README.md."
  type        = any
  default     = []
  nullable    = false
}

variable "tags" {
  description = "Tags applied to every resource the module creates (e.g. team and cost centre for cost allocation); keys must not start with \"aws:\"."
  type        = map(string)
  default     = {}
  nullable    = false
}

# ---------------------------------------------------------------------------------------
# Custom domain (optional)
# ---------------------------------------------------------------------------------------

variable "custom_domain" {
  description = <<-EOT
    A custom domain for the API (null, the default: only the execute-api `invoke_url`), each
    field the modules/custom-domain input of the same name (its README has the rules):
    `domain_name` (e.g. "api.example.com"); `certificate_arn` of an issued ACM certificate in
    the API's region (null: the module requests one with DNS validation, which needs
    `hosted_zone_id`); `hosted_zone_id`, the Route 53 zone where the module writes the
    validation record and A/AAAA aliases (null: you manage DNS and point the domain at the
    `custom_domain.regional_domain_name` output); `base_path` (null: the API at the domain's
    root); `disable_execute_api_endpoint` (default false; true: clients reach the API only
    through the domain). Regional endpoint, TLS 1.2. Details: "Custom domains" in docs/module.md.
  EOT
  type = object({
    domain_name                  = string
    certificate_arn              = optional(string)
    hosted_zone_id               = optional(string)
    base_path                    = optional(string)
    disable_execute_api_endpoint = optional(bool, false)
  })
  default = null
}

# ---------------------------------------------------------------------------------------
# Authorization (the platform's)
# ---------------------------------------------------------------------------------------

variable "baked_policy_json" {
  description = "The baked policy document (schema `gateway-policy/v1`): the floor the authorizer serves from its first invocation, e.g. `file(\"policy/orders-baked.json\")`. It must list `api_id` in `apis`."
  type        = string
}

variable "policy_layer" {
  description = <<-EOT
    The Lambda layer zip that carries `baked_policy_json` as `gateway-policy.json` at its root
    (the function reads `/opt/gateway-policy.json`): `zip_path` (a local file) or `s3_bucket` +
    `s3_key` (+ `s3_object_version`). Build it from the same file as `baked_policy_json`, e.g.
    `cp policy/orders-baked.json build/gateway-policy.json && (cd build && zip -X policy-layer.zip gateway-policy.json)`.
    A policy change is then a new layer version; the authorizer binary stays the released one.
    Type and rules: `policy_layer` in modules/authorizer/README.md.
  EOT
  type        = any
}

variable "authorizer" {
  description = <<-EOT
    Settings of the authorizer function, each the modules/authorizer input of the same name
    (its README has the defaults and ranges): `architecture` ("arm64" or "x86_64"), `memory_mb`,
    `timeout_s`, `log_level`, `max_staleness_ms` and `sync_budget_ms` (freshness of the
    policy-stream view), `log_retention_days`, `kms_key_arn`, `reserved_concurrency`,
    `tracing_mode`; and `result_ttl_seconds` (0-3600, default 0), API Gateway's authorizer
    cache: above 0 the cache key holds the token, the method and the path.
  EOT
  type = object({
    architecture         = optional(string)
    memory_mb            = optional(number)
    timeout_s            = optional(number)
    log_level            = optional(string)
    max_staleness_ms     = optional(number)
    sync_budget_ms       = optional(number)
    result_ttl_seconds   = optional(number)
    log_retention_days   = optional(number)
    kms_key_arn          = optional(string)
    reserved_concurrency = optional(number)
    tracing_mode         = optional(string)
  })
  default  = {}
  nullable = false
}

variable "iam" {
  description = <<-EOT
    Guardrails for every IAM role the module creates (the authorizer's execution role and,
    with `rest_account_logging = "create"`, the API Gateway CloudWatch Logs role):
    `permissions_boundary_arn` (an IAM managed policy ARN; null, the default: no boundary) and
    `role_path` (default "/"; starts and ends with "/", e.g. "/gateway/"; part of each role's
    ARN, so also of the principal in `msk_cluster_policy_json`). Rules: `iam` in
    modules/shared-inputs/README.md.
  EOT
  type = object({
    permissions_boundary_arn = optional(string)
    role_path                = optional(string)
  })
  default  = {}
  nullable = false
}

variable "authorizer_runtime" {
  description = "Which build of the authorizer runs: `rust` (default, provided.al2023) or `nodejs22.x` (the TypeScript build: the same decisions, policy stream and status reports). The zip of either comes from `authorizer_artifact`. Rules: `runtime` in modules/authorizer/README.md."
  type        = string
  default     = "rust"
  nullable    = false
}

variable "authorizer_artifact" {
  description = <<-EOT
    Where the authorizer's `bootstrap` zip comes from. Default: the release this module version
    pins (modules/authorizer/release.json: versioned S3 key and hash) in the platform team's
    release bucket, whose name the manifest carries or `release_bucket` gives (`{region}` is
    replaced by the function's region). Or `zip_path` to a zip of your own, or an S3 object of
    your own (`s3_bucket`, `s3_key`, and `s3_object_version` or `source_code_hash` = base64
    SHA-256 of the zip, so a new artifact redeploys). In a checkout without a release,
    `dist/bootstrap-<architecture>.zip` (`make build`). Type and rules: `artifact` in
    modules/authorizer/README.md; the release steps: docs/release.md.
  EOT
  type        = any
  default     = {}
}

# ---------------------------------------------------------------------------------------
# Policy stream (optional): the central MSK cluster's policy topic
# ---------------------------------------------------------------------------------------

variable "policy_stream" {
  description = <<-EOT
    The policy topic on the central MSK cluster (null: the baked policy only).
    - `cluster_arn`, `topic`;
    - `bootstrap_brokers`: the SASL/IAM bootstrap list (comma-separated host:port). Pass it when known
      (the platform team publishes it, or `data "aws_msk_bootstrap_brokers"`): a function in a VPC
      without NAT cannot call GetBootstrapBrokers. `lookup_brokers = true` reads it with that data
      source at plan time (the multi-VPC list across accounts);
    - `vpc_id`, `subnet_ids` (across accounts: in the cluster's AZ IDs), `security_group_ids`
      (empty: the module creates one that only reaches the brokers), `broker_cidr_blocks`;
    - `cross_account` (null: the cluster ARN's account differs from ours) and
      `create_vpc_connection`: multi-VPC private connectivity, TCP 14001-14100;
    - `group_prefix` (default "gateway-authz-<name>"), `tombstone_retention_ms` (the topic's
      delete.retention.ms), `checkpoint_max_age_s` (signed mode: the oldest checkpoint that lets the
      stream be served, default 86400; docs/policy-events.md).
    Each is the modules/msk-access input of the same name (`tombstone_retention_ms`: of
    modules/authorizer's `policy_stream`); their READMEs have the defaults and rules.
  EOT
  type = object({
    cluster_arn            = string
    topic                  = optional(string)
    bootstrap_brokers      = optional(string)
    lookup_brokers         = optional(bool, false)
    vpc_id                 = string
    subnet_ids             = list(string)
    security_group_ids     = optional(list(string))
    broker_cidr_blocks     = optional(list(string))
    cross_account          = optional(bool)
    create_vpc_connection  = optional(bool)
    group_prefix           = optional(string)
    tombstone_retention_ms = optional(number)
    checkpoint_max_age_s   = optional(number)
  })
  default = null

  validation {
    condition     = var.policy_stream == null || !(try(var.policy_stream.lookup_brokers, false) && try(var.policy_stream.bootstrap_brokers, null) != null)
    error_message = "policy_stream takes bootstrap_brokers or lookup_brokers = true, not both."
  }

  validation {
    condition = var.policy_stream == null || (
      try(var.policy_stream.bootstrap_brokers, null) != null || try(var.policy_stream.lookup_brokers, false) || length(coalesce(try(var.policy_stream.security_group_ids, null), [])) > 0
    )
    error_message = "policy_stream needs bootstrap_brokers (or lookup_brokers = true): without them the function calls the MSK API (GetBootstrapBrokers) over HTTPS at run time, which the security group the module creates does not allow. Or pass security_group_ids of your own that reach the MSK API (a VPC endpoint or NAT)."
  }
}

# ---------------------------------------------------------------------------------------
# Observability: the gateway's dashboard and alarms
# ---------------------------------------------------------------------------------------

variable "observability" {
  description = <<-EOT
    The gateway's CloudWatch dashboard and alarms, each the modules/observability input of the
    same name (its README has the defaults and rules): `dashboard` (default true: the dashboard
    `<name>-gateway`), `alarm_sns_topic_arn` (null, the default: no alarms; set: alarms on
    authorizer errors, the API's 5xx rate and, with policy_stream, a stale view and rejected
    policy events), `stale_alarm_minutes` (10), `authorizer_error_threshold` (0),
    `server_error_alarm_percent` (5), `rejected_events_threshold` (0), and `prices` (USD) for the
    dashboard's cost estimate: `api_per_million_requests`, `lambda_per_million_requests`,
    `lambda_per_gb_second`, `logs_per_gb_ingested`, default us-east-1 list prices.
    Metric names and dimensions: docs/observability.md.
  EOT
  type = object({
    dashboard                  = optional(bool)
    alarm_sns_topic_arn        = optional(string)
    stale_alarm_minutes        = optional(number)
    authorizer_error_threshold = optional(number)
    server_error_alarm_percent = optional(number)
    rejected_events_threshold  = optional(number)
    prices = optional(object({
      api_per_million_requests    = optional(number)
      lambda_per_million_requests = optional(number)
      lambda_per_gb_second        = optional(number)
      logs_per_gb_ingested        = optional(number)
    }))
  })
  default  = {}
  nullable = false
}
