variable "name" {
  description = "Name of the gateway: prefix of every resource the submodules create."
  type        = string
  default     = null

  validation {
    condition     = var.name == null || can(regex("^[a-z][a-z0-9-]{1,38}[a-z0-9]$", var.name))
    error_message = "name must be 3-40 characters: lower-case letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags keys must be 1-128 characters and not start with \"aws:\"; values at most 256 characters."
  }
}

variable "routes" {
  description = <<-EOT
    Routes keyed by "METHOD /path" (METHOD: GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY;
    path parameters as {name}, a greedy last one as {name+}). Each route has:
    - `integration`: `type` = "http_proxy" with `uri` an http(s) URL (`method` defaults to the
      route's), or "lambda" with `uri` a Lambda function ARN (the API module grants API Gateway
      permission to invoke it), or "vpc_link" to a private backend through `vpc_link`, the key
      of an entry in `vpc_links`: for an HTTP API `uri` is an ALB/NLB listener ARN or a Cloud
      Map service ARN (optional `server_name_to_verify`: the TLS server name API Gateway checks
      on the backend's certificate), for a REST API an http(s) URL served by the link's NLB
      (`method` defaults to the route's);
    - `timeout_ms` (50-29000, default 29000);
    - `public` (default false): true puts no authorizer on this route at all; at least one
      route must be protected;
    - `throttling` (optional `{ burst_limit, rate_limit }`) overriding the stage's default.
  EOT
  type = map(object({
    integration = object({
      type                  = string
      uri                   = string
      method                = optional(string)
      vpc_link              = optional(string)
      server_name_to_verify = optional(string)
    })
    timeout_ms = optional(number, 29000)
    public     = optional(bool, false)
    throttling = optional(object({
      burst_limit = number
      rate_limit  = number
    }))
  }))
  default = null

  validation {
    condition     = var.routes == null ? true : length(var.routes) > 0
    error_message = "routes must have at least one route."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for k, _ in var.routes : can(regex("^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|ANY) /([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\}|\\{[A-Za-z0-9_]+\\+\\})?(/([A-Za-z0-9._~-]+|\\{[A-Za-z0-9_]+\\}|\\{[A-Za-z0-9_]+\\+\\}))*$", k))])
    error_message = "Every route key must be \"METHOD /path\": METHOD one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY; path segments of letters, digits, '.', '_', '~', '-', or {param} / {param+}."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for k, _ in var.routes : !strcontains(k, "+}/")])
    error_message = "A greedy path variable ({name+}) must be the last segment of a route path: API Gateway rejects e.g. \"GET /{proxy+}/tail\"; use \"GET /{proxy+}\" and route the tail in the backend."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : contains(["http_proxy", "lambda", "vpc_link"], r.integration.type)])
    error_message = "Every route's integration.type must be \"http_proxy\", \"lambda\" or \"vpc_link\"."
  }

  validation {
    condition = var.routes == null ? true : alltrue([for _, r in var.routes : (
      r.integration.type == "http_proxy" ? can(regex("^https?://[^ ]+$", r.integration.uri)) : (
        r.integration.type == "vpc_link" ? (
          can(regex("^https?://[^ ]+$", r.integration.uri)) ||
          can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:listener/(app|net)/[^/]+/[0-9a-f]+/[0-9a-f]+$", r.integration.uri)) ||
          can(regex("^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:[0-9]{12}:service/srv-[a-z0-9]+$", r.integration.uri))
        ) : can(regex("^arn:aws[a-z-]*:lambda:[a-z0-9-]+:[0-9]{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$", r.integration.uri))
      )
    )])
    error_message = "integration.uri must be an http(s) URL for http_proxy, a Lambda function ARN (arn:aws:lambda:<region>:<account>:function:<name>) for lambda, and for vpc_link an ALB/NLB listener ARN (arn:aws:elasticloadbalancing:<region>:<account>:listener/app|net/...) or a Cloud Map service ARN (arn:aws:servicediscovery:<region>:<account>:service/srv-...) on an HTTP API, an http(s) URL to the NLB on a REST API."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : (r.integration.type == "vpc_link") == (r.integration.vpc_link != null)])
    error_message = "integration.vpc_link is the key of a vpc_links entry: a route with integration.type = \"vpc_link\" needs it, other types take none. Routes at fault: ${var.routes == null ? "" : join(", ", [for k, r in var.routes : k if(r.integration.type == "vpc_link") != (r.integration.vpc_link != null)])}."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : r.integration.server_name_to_verify == null || r.integration.type == "vpc_link"])
    error_message = "integration.server_name_to_verify (the TLS server name checked on a private backend's certificate) applies to integration.type = \"vpc_link\" only."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : r.integration.method == null || contains(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"], coalesce(r.integration.method, "GET"))])
    error_message = "integration.method must be one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS, ANY."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : r.timeout_ms >= 50 && r.timeout_ms <= 29000])
    error_message = "Every route's timeout_ms must be between 50 and 29000."
  }

  validation {
    condition     = var.routes == null ? true : alltrue([for _, r in var.routes : r.throttling == null || try(r.throttling.burst_limit >= 1 && r.throttling.rate_limit > 0, false)])
    error_message = "A route's throttling needs burst_limit >= 1 and rate_limit > 0: a limit of 0 rejects every request with 429."
  }

  validation {
    condition     = var.routes == null ? true : length([for _, r in var.routes : r if !r.public]) > 0
    error_message = "At least one route must be protected (public = false): a gateway of public routes only needs no authorizer."
  }
}

variable "vpc_links" {
  description = <<-EOT
    VPC links to private backends, keyed by the name routes use in `integration.vpc_link`. Each
    is either an existing link, `id`, or one the API module creates (named "<name>-<key>", tagged):
    for an HTTP API `subnet_ids` (its ENIs' subnets) and `security_group_ids` (default none),
    for a REST API `target_arns`, the ARNs of the network load balancers it reaches.
  EOT
  type = map(object({
    id                 = optional(string)
    subnet_ids         = optional(list(string))
    security_group_ids = optional(list(string), [])
    target_arns        = optional(list(string))
  }))
  default  = {}
  nullable = false

  validation {
    condition     = alltrue([for k, _ in var.vpc_links : can(regex("^[A-Za-z0-9_-]{1,64}$", k))])
    error_message = "vpc_links keys must be 1-64 letters, digits, '_' or '-' (they are part of the link's name)."
  }

  validation {
    condition     = alltrue([for _, l in var.vpc_links : (l.id != null) != (l.subnet_ids != null || l.target_arns != null)])
    error_message = "Each vpc_links entry is either an existing link (id) or one to create (subnet_ids for an HTTP API, target_arns for a REST API), not both. Entries at fault: ${join(", ", [for k, l in var.vpc_links : k if(l.id != null) == (l.subnet_ids != null || l.target_arns != null)])}."
  }

  validation {
    condition     = alltrue([for _, l in var.vpc_links : l.id == null || can(regex("^[a-z0-9]{1,32}$", coalesce(l.id, "x")))])
    error_message = "vpc_links[*].id must be a VPC link id (lower-case letters and digits, e.g. \"a1b2c3\")."
  }

  validation {
    condition     = alltrue([for _, l in var.vpc_links : l.subnet_ids == null || (length(coalesce(l.subnet_ids, [])) > 0 && alltrue([for s in coalesce(l.subnet_ids, []) : can(regex("^subnet-[0-9a-f]{8,17}$", s))]))])
    error_message = "vpc_links[*].subnet_ids must list one or more subnet ids (subnet-...), ideally one per AZ of the backend."
  }

  validation {
    condition     = alltrue([for _, l in var.vpc_links : alltrue([for g in l.security_group_ids : can(regex("^sg-[0-9a-f]{8,17}$", g))])])
    error_message = "vpc_links[*].security_group_ids must be security group ids (sg-...)."
  }

  validation {
    condition     = alltrue([for _, l in var.vpc_links : l.target_arns == null || (length(coalesce(l.target_arns, [])) > 0 && alltrue([for a in coalesce(l.target_arns, []) : can(regex("^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:loadbalancer/net/[^/]+/[0-9a-f]+$", a))]))])
    error_message = "vpc_links[*].target_arns must list network load balancer ARNs (arn:aws:elasticloadbalancing:<region>:<account>:loadbalancer/net/<name>/<id>): a REST API VPC link reaches NLBs only; put an ALB behind an NLB, or use an HTTP API, whose links reach ALB listeners."
  }
}

variable "stage_name" {
  description = "Name of the stage (part of the invoke URL); null: \"v1\"."
  type        = string
  default     = null

  validation {
    condition     = var.stage_name == null || can(regex("^[A-Za-z0-9_-]{1,128}$", coalesce(var.stage_name, "v1")))
    error_message = "stage_name must be 1-128 letters, digits, '_' or '-'."
  }
}

variable "throttling" {
  description = "Default throttling of every route: `burst_limit` requests (default 200), `rate_limit` requests per second (default 100). 0 is rejected: it turns every request into a 429."
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

variable "access_logs" {
  description = "Access logs of the stage: `enabled` (default true), JSON lines (`format` null uses the API module's JSON format) in a log group with `retention_days` (default 30); optional `kms_key_arn`."
  type = object({
    enabled        = optional(bool, true)
    retention_days = optional(number, 30)
    format         = optional(string)
    kms_key_arn    = optional(string)
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.access_logs.format == null || can(jsondecode(coalesce(var.access_logs.format, "{}")))
    error_message = "access_logs.format must be a JSON object of $context variables (JSON lines)."
  }
}

variable "log_retention_days" {
  description = "Retention in days of log groups, keyed by the input that sets it (e.g. `access_logs.retention_days`); each must be a value CloudWatch Logs accepts."
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for _, days in var.log_retention_days : contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], days)])
    error_message = "${join(" and ", sort(keys(var.log_retention_days)))} must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "api_authorizer" {
  description = "The API Gateway side of the Lambda authorizer: its function name, invoke ARN, `result_ttl_seconds` (0-3600, default 0: no cache) and `identity_header`, the request header holding the bearer token (default `Authorization`, which the platform authorizer reads; change it only together with an authorizer of your own)."
  type = object({
    function_name      = string
    invoke_arn         = string
    result_ttl_seconds = optional(number, 0)
    identity_header    = optional(string, "Authorization")
  })
  default = null

  validation {
    condition     = var.api_authorizer == null ? true : var.api_authorizer.result_ttl_seconds >= 0 && var.api_authorizer.result_ttl_seconds <= 3600 && floor(var.api_authorizer.result_ttl_seconds) == var.api_authorizer.result_ttl_seconds
    error_message = "authorizer.result_ttl_seconds must be a whole number of seconds between 0 and 3600."
  }
}

variable "api_id" {
  description = "The API's id in the developer portal's policy (`apis[].id`): the authorizer's AUTHZ_API_ID and the `ApiId` dimension of its metrics."
  type        = string
  default     = null

  validation {
    condition     = var.api_id == null || can(regex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$", coalesce(var.api_id, "x")))
    error_message = "api_id must be 1-128 characters: letters, digits, '.', '_' or '-', starting with a letter or digit."
  }
}

variable "topic" {
  description = "Name of the policy topic."
  type        = string
  default     = null

  validation {
    condition     = var.topic == null || can(regex("^[A-Za-z0-9._-]{1,249}$", coalesce(var.topic, "x")))
    error_message = "topic must be a Kafka topic name: 1-249 characters of letters, digits, '.', '_' or '-'."
  }
}

variable "cluster_arn" {
  description = "ARN of the central MSK cluster that carries the policy topic."
  type        = string
  default     = null

  validation {
    condition     = var.cluster_arn == null || can(regex("^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[^/]+/[^/]+$", coalesce(var.cluster_arn, "x")))
    error_message = "cluster_arn must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)."
  }
}

variable "iam" {
  description = "Guardrails for every IAM role the submodules create: `permissions_boundary_arn` (an IAM managed policy ARN set as each role's permissions boundary; null, the default: none) and `role_path` (default \"/\"; it starts and ends with \"/\", e.g. \"/gateway/\", and is part of each role's ARN)."
  type = object({
    permissions_boundary_arn = optional(string)
    role_path                = optional(string, "/")
  })
  default  = {}
  nullable = false

  validation {
    condition     = var.iam.permissions_boundary_arn == null || can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/[A-Za-z0-9+=,.@_/-]+$", coalesce(var.iam.permissions_boundary_arn, "x")))
    error_message = "iam.permissions_boundary_arn must be an IAM managed policy ARN (arn:aws:iam::<account>:policy/<name>)."
  }

  validation {
    condition     = can(regex("^/([!-~]+/)?$", var.iam.role_path)) && length(var.iam.role_path) <= 512
    error_message = "iam.role_path must start and end with \"/\" (\"/\" or e.g. \"/gateway/\"), at most 512 printable ASCII characters without spaces."
  }
}
