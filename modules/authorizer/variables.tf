# name, api_id, tags, log retention and the MSK cluster ARN follow the rules of ../shared-inputs,
# which several submodules share; main.tf passes them there.

variable "name" {
  description = "Name prefix of every resource of the authorizer (function `<name>-authorizer`, its role, log group and policy layer)."
  type        = string
}

variable "api_id" {
  description = "The API's id in the developer portal's policy (`apis[].id` in the baked policy). Passed to the function as AUTHZ_API_ID."
  type        = string
}

variable "baked_policy_json" {
  description = "The baked policy document (schema `gateway-policy/v1`), e.g. `file(\"policy/orders-baked.json\")`. It must be the same document that `policy_layer` packs as `gateway-policy.json`; the layer's description records its revision and SHA-256."
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
    Where the Lambda layer zip with the baked policy comes from. The zip holds exactly one file,
    `gateway-policy.json` (the `baked_policy_json` document), at its root, so the function reads
    it as `/opt/gateway-policy.json`. Either `zip_path` (a local file) or `s3_bucket` + `s3_key`
    (+ optional `s3_object_version`).
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

variable "artifact" {
  description = <<-EOT
    Where the authorizer's `bootstrap` zip comes from, first match: `zip_path` (a zip of your own);
    an S3 object of your own (`s3_bucket`, `s3_key`, and `s3_object_version` or `source_code_hash`);
    the release this module version pins (`release.json`: S3 key and hash) in the platform team's
    release bucket, `release_bucket` (a name, `{region}` replaced by the function's region; default:
    the `bucket` of release.json); last, `dist/bootstrap-<architecture>.zip` of a checkout (`make build`).
  EOT
  type = object({
    release_bucket    = optional(string)
    zip_path          = optional(string)
    s3_bucket         = optional(string)
    s3_key            = optional(string)
    s3_object_version = optional(string)
    source_code_hash  = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = !(var.artifact.zip_path != null && var.artifact.s3_bucket != null)
    error_message = "artifact takes either zip_path or s3_bucket/s3_key, not both."
  }

  validation {
    condition     = var.artifact.release_bucket == null || can(regex("^[a-z0-9][a-z0-9.{}-]{1,61}[a-z0-9}]$", coalesce(var.artifact.release_bucket, "x")))
    error_message = "artifact.release_bucket must be an S3 bucket name, with {region} where the region goes (e.g. \"acme-gateway-artifacts-{region}\")."
  }

  validation {
    condition     = (var.artifact.s3_bucket == null) == (var.artifact.s3_key == null)
    error_message = "artifact.s3_bucket and artifact.s3_key go together."
  }

  validation {
    condition     = var.artifact.zip_path == null || endswith(coalesce(var.artifact.zip_path, "x.zip"), ".zip")
    error_message = "artifact.zip_path must name a .zip file."
  }

  validation {
    condition     = var.artifact.s3_bucket == null || var.artifact.s3_object_version != null || var.artifact.source_code_hash != null
    error_message = "An S3 artifact needs s3_object_version or source_code_hash (base64 SHA-256 of the zip, `openssl dgst -sha256 -binary bootstrap.zip | base64`): without either, a new zip at the same key never redeploys the function."
  }
}

variable "release_manifest_json" {
  description = "The release manifest (`version`, `bucket`, `s3_key_prefix`, `source_code_hash` per architecture, as `make release` writes it); null: this module version's own release.json."
  type        = string
  default     = null

  validation {
    condition     = var.release_manifest_json == null || can(jsondecode(coalesce(var.release_manifest_json, "{}")).s3_key_prefix)
    error_message = "release_manifest_json must be a JSON object with at least s3_key_prefix (the file `make release` writes)."
  }
}

variable "runtime" {
  description = "Which build of the authorizer runs: `rust` (default: the `bootstrap` binary on provided.al2023) or `nodejs22.x` (the TypeScript build's bundle from authorizer-ts/dist, handler `handler.handler`; the same environment, policy stream and status reports as the Rust build)."
  type        = string
  default     = "rust"
  nullable    = false

  validation {
    condition     = contains(["rust", "nodejs22.x"], var.runtime)
    error_message = "authorizer_runtime must be \"rust\" or \"nodejs22.x\"."
  }
}

variable "architecture" {
  description = "Instruction set of the function: `arm64` (default) or `x86_64`; selects the Rust build's zip (`bootstrap-<architecture>.zip`)."
  type        = string
  default     = "arm64"
  nullable    = false

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "memory_mb" {
  description = "Memory of the function in MB (128-10240)."
  type        = number
  default     = 256
  nullable    = false

  validation {
    condition     = var.memory_mb >= 128 && var.memory_mb <= 10240 && floor(var.memory_mb) == var.memory_mb
    error_message = "memory_mb must be a whole number between 128 and 10240."
  }
}

variable "timeout_s" {
  description = "Timeout of the function in seconds (1-10: API Gateway waits at most 10 s for an authorizer)."
  type        = number
  default     = 5
  nullable    = false

  validation {
    condition     = var.timeout_s >= 1 && var.timeout_s <= 10 && floor(var.timeout_s) == var.timeout_s
    error_message = "timeout_s must be a whole number of seconds between 1 and 10."
  }
}

variable "log_level" {
  description = "AUTHZ_LOG_LEVEL of the function: error, warn, info or debug."
  type        = string
  default     = "info"
  nullable    = false

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be one of error, warn, info, debug."
  }
}

variable "max_staleness_ms" {
  description = "AUTHZ_MAX_STALENESS_MS: after a freeze longer than this, the function catches up with the policy stream before deciding."
  type        = number
  default     = 1000
  nullable    = false

  validation {
    condition     = var.max_staleness_ms >= 0 && floor(var.max_staleness_ms) == var.max_staleness_ms
    error_message = "max_staleness_ms must be a whole number of milliseconds, 0 or more."
  }
}

variable "sync_budget_ms" {
  description = "AUTHZ_SYNC_BUDGET_MS: the most time one decision may spend catching up with the policy stream."
  type        = number
  default     = 50
  nullable    = false

  validation {
    condition     = var.sync_budget_ms >= 0 && var.sync_budget_ms <= 5000 && floor(var.sync_budget_ms) == var.sync_budget_ms
    error_message = "sync_budget_ms must be a whole number of milliseconds between 0 and 5000."
  }
}

variable "log_retention_days" {
  description = "Retention of the function's log group, in days (a value CloudWatch Logs accepts; checked in modules/shared-inputs)."
  type        = number
  default     = 30
  nullable    = false
}

variable "kms_key_arn" {
  description = "Optional KMS key ARN for the log group and the function's environment variables."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", coalesce(var.kms_key_arn, "x")))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of the function; -1 leaves it unreserved. 0 is refused: it stops the function from running, so every protected route fails."
  type        = number
  default     = -1
  nullable    = false

  validation {
    condition     = (var.reserved_concurrency == -1 || var.reserved_concurrency >= 1) && floor(var.reserved_concurrency) == var.reserved_concurrency
    error_message = "reserved_concurrency must be -1 (unreserved) or a whole number, 1 or more: 0 means the authorizer never runs and every protected route fails."
  }
}

variable "tracing_mode" {
  description = "X-Ray tracing of the function: PassThrough or Active."
  type        = string
  default     = "PassThrough"
  nullable    = false

  validation {
    condition     = contains(["PassThrough", "Active"], var.tracing_mode)
    error_message = "tracing_mode must be \"PassThrough\" or \"Active\"."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups when the function must reach the policy stream in a VPC; null keeps it out of any VPC (and its role without ENI rights)."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition     = var.vpc_config == null || (length(try(var.vpc_config.subnet_ids, [])) > 0 && alltrue([for s in try(var.vpc_config.subnet_ids, []) : startswith(s, "subnet-")]))
    error_message = "vpc_config.subnet_ids must list at least one subnet id (subnet-...)."
  }

  validation {
    condition     = var.vpc_config == null || (length(try(var.vpc_config.security_group_ids, [])) > 0 && alltrue([for s in try(var.vpc_config.security_group_ids, []) : startswith(s, "sg-")]))
    error_message = "vpc_config.security_group_ids must list at least one security group id (sg-...)."
  }
}

variable "policy_stream" {
  description = <<-EOT
    The policy topic the function follows (null: baked policy only). `brokers` is the comma-separated
    SASL/IAM bootstrap list when known; without it the function discovers the brokers from
    `cluster_arn` at run time (which needs a route to the MSK API). The module's msk-access
    submodule grants the matching IAM. `checkpoint_max_age_s`: in signed mode the stream's state
    is served only after a checkpoint at most this old is verified (docs/policy-events.md);
    `status_topic`: where the function reports its status (docs/fleet.md; null: no reports).
  EOT
  type = object({
    cluster_arn            = string
    topic                  = string
    brokers                = optional(string)
    group_prefix           = string
    tombstone_retention_ms = optional(number, 86400000)
    checkpoint_max_age_s   = optional(number, 86400)
    status_topic           = optional(string)
  })
  default = null

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.checkpoint_max_age_s >= 60 && floor(var.policy_stream.checkpoint_max_age_s) == var.policy_stream.checkpoint_max_age_s, false)
    error_message = "policy_stream.checkpoint_max_age_s must be a whole number of seconds, at least 60: the longest a replayed older checkpoint may be served; schedule `authz publish` well within it."
  }

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.tombstone_retention_ms, 0) > 0
    error_message = "policy_stream.tombstone_retention_ms must be above 0 (the topic's delete.retention.ms)."
  }

  validation {
    condition     = var.policy_stream == null || try(var.policy_stream.brokers, null) == null || can(regex("^[A-Za-z0-9.-]+:[0-9]{2,5}(,[A-Za-z0-9.-]+:[0-9]{2,5})*$", try(var.policy_stream.brokers, "")))
    error_message = "policy_stream.brokers (the bootstrap brokers) must be a comma-separated list of host:port."
  }
}

variable "iam" {
  description = "Guardrails for the IAM role this module creates (the function's execution role): `permissions_boundary_arn` (null: none) and `role_path` (default \"/\"). Its type, defaults and rules: the `iam` input of modules/shared-inputs."
  type        = any
  default     = {}
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}
