# A team's gateway in one apply: API Gateway (HTTP API by default, REST API as an option)
# with the team's routes and throttling, the platform's Lambda authorizer on every
# protected route, and (with policy_stream) what the authorizer needs to follow the policy
# topic on the central MSK cluster.

locals {
  is_http = var.api_type == "http"

  stream       = var.policy_stream
  group_prefix = local.stream == null ? null : coalesce(local.stream.group_prefix, "gateway-authz-${var.name}")

  # Brokers passed to the function: given, looked up at plan time, or left to run-time
  # discovery from the cluster ARN. Whether the cluster is in another account is decided
  # once, in msk-access.
  looked_up_brokers = try(
    module.msk_access[0].cross_account
    ? data.aws_msk_bootstrap_brokers.this[0].bootstrap_brokers_vpc_connectivity_sasl_iam
    : data.aws_msk_bootstrap_brokers.this[0].bootstrap_brokers_sasl_iam,
    null,
  )
  brokers = local.stream == null ? null : (
    local.stream.bootstrap_brokers != null ? local.stream.bootstrap_brokers : (
      local.stream.lookup_brokers ? local.looked_up_brokers : null
    )
  )

  tags = merge(var.tags, { "gateway:name" = var.name, "gateway:api-id" = var.api_id })

  # Inside custom_domain, so the execute-api endpoint can only be turned off with a domain.
  disable_execute_api_endpoint = try(var.custom_domain.disable_execute_api_endpoint, false)

  api = local.is_http ? {
    api_id                = module.http_api[0].api_id
    execution_arn         = module.http_api[0].execution_arn
    stage_name            = module.http_api[0].stage_name
    stage_arn             = module.http_api[0].stage_arn
    invoke_url            = module.http_api[0].invoke_url
    authorizer_id         = module.http_api[0].authorizer_id
    access_log_group_name = module.http_api[0].access_log_group_name
    routes                = module.http_api[0].routes
    vpc_link_ids          = module.http_api[0].vpc_link_ids
    permission_source_arn = module.http_api[0].authorizer_permission_source_arn
    } : {
    api_id                = module.rest_api[0].api_id
    execution_arn         = module.rest_api[0].execution_arn
    stage_name            = module.rest_api[0].stage_name
    stage_arn             = module.rest_api[0].stage_arn
    invoke_url            = module.rest_api[0].invoke_url
    authorizer_id         = module.rest_api[0].authorizer_id
    access_log_group_name = module.rest_api[0].access_log_group_name
    routes                = module.rest_api[0].routes
    vpc_link_ids          = module.rest_api[0].vpc_link_ids
    permission_source_arn = module.rest_api[0].authorizer_permission_source_arn
  }
}

data "aws_msk_bootstrap_brokers" "this" {
  count       = local.stream != null && try(local.stream.lookup_brokers, false) ? 1 : 0
  cluster_arn = local.stream.cluster_arn
}

module "authorizer" {
  source = "./modules/authorizer"

  name              = var.name
  api_id            = var.api_id
  baked_policy_json = var.baked_policy_json
  policy_layer      = var.policy_layer

  # The default zip (the pinned release, else dist/ of a checkout) is chosen in modules/authorizer.
  artifact = var.authorizer_artifact
  runtime  = var.authorizer_runtime

  architecture         = var.authorizer.architecture
  memory_mb            = var.authorizer.memory_mb
  timeout_s            = var.authorizer.timeout_s
  log_level            = var.authorizer.log_level
  max_staleness_ms     = var.authorizer.max_staleness_ms
  sync_budget_ms       = var.authorizer.sync_budget_ms
  log_retention_days   = var.authorizer.log_retention_days
  kms_key_arn          = var.authorizer.kms_key_arn
  reserved_concurrency = var.authorizer.reserved_concurrency
  tracing_mode         = var.authorizer.tracing_mode
  iam                  = var.iam

  vpc_config = local.stream == null ? null : {
    subnet_ids         = local.stream.subnet_ids
    security_group_ids = module.msk_access[0].security_group_ids
  }

  policy_stream = local.stream == null ? null : {
    cluster_arn            = local.stream.cluster_arn
    topic                  = module.msk_access[0].topic
    brokers                = local.brokers
    group_prefix           = local.group_prefix
    tombstone_retention_ms = local.stream.tombstone_retention_ms
    checkpoint_max_age_s   = local.stream.checkpoint_max_age_s
    status_topic           = module.msk_access[0].status_topic
  }

  tags = local.tags
}

module "msk_access" {
  source = "./modules/msk-access"
  count  = local.stream == null ? 0 : 1

  name                  = var.name
  cluster_arn           = local.stream.cluster_arn
  topic                 = local.stream.topic
  group_prefix          = local.group_prefix
  role_name             = module.authorizer.role_name
  role_path             = module.authorizer.role_path
  vpc_id                = local.stream.vpc_id
  subnet_ids            = local.stream.subnet_ids
  security_group_ids    = local.stream.security_group_ids
  broker_cidr_blocks    = local.stream.broker_cidr_blocks
  cross_account         = local.stream.cross_account
  create_vpc_connection = local.stream.create_vpc_connection
  brokers_known         = local.stream.bootstrap_brokers != null || local.stream.lookup_brokers
  tags                  = local.tags
}

module "http_api" {
  source = "./modules/http-api"
  count  = local.is_http ? 1 : 0

  name       = var.name
  routes     = var.routes
  stage_name = var.stage_name
  throttling = var.throttling
  cors       = var.cors
  vpc_links  = var.vpc_links

  authorizer = {
    function_name      = module.authorizer.function_name
    invoke_arn         = module.authorizer.invoke_arn
    result_ttl_seconds = var.authorizer.result_ttl_seconds
  }

  disable_execute_api_endpoint = local.disable_execute_api_endpoint

  access_logs = var.access_logs
  tags        = local.tags
}

module "rest_api" {
  source = "./modules/rest-api"
  count  = local.is_http ? 0 : 1

  name       = var.name
  routes     = var.routes
  stage_name = var.stage_name
  throttling = var.throttling
  cors       = var.cors
  vpc_links  = var.vpc_links

  authorizer = {
    function_name      = module.authorizer.function_name
    invoke_arn         = module.authorizer.invoke_arn
    result_ttl_seconds = var.authorizer.result_ttl_seconds
  }

  disable_execute_api_endpoint = local.disable_execute_api_endpoint

  access_logs          = var.access_logs
  rest_account_logging = var.rest_account_logging
  waf_web_acl_arn      = var.waf_web_acl_arn
  iam                  = var.iam

  endpoint_type              = var.endpoint_type
  vpc_endpoint_ids           = var.vpc_endpoint_ids
  resource_policy_statements = var.resource_policy_statements
  tags                       = local.tags
}

module "custom_domain" {
  source = "./modules/custom-domain"
  count  = var.custom_domain == null ? 0 : 1

  api_type        = var.api_type
  api_id          = local.api.api_id
  stage_name      = local.api.stage_name
  domain_name     = var.custom_domain.domain_name
  certificate_arn = var.custom_domain.certificate_arn
  hosted_zone_id  = var.custom_domain.hosted_zone_id
  base_path       = var.custom_domain.base_path
  tags            = local.tags
}

module "observability" {
  source = "./modules/observability"

  name   = var.name
  api_id = var.api_id
  region = module.authorizer.region

  api = {
    type  = var.api_type
    id    = local.is_http ? local.api.api_id : null
    name  = local.is_http ? null : var.name # the REST API's name, its metrics' ApiName
    stage = local.api.stage_name
  }

  authorizer = {
    function_name  = module.authorizer.function_name
    memory_mb      = module.authorizer.memory_mb
    architecture   = module.authorizer.architecture
    log_group_name = module.authorizer.log_group_name
  }

  access_logs = local.api.access_log_group_name == null ? null : {
    log_group_name = local.api.access_log_group_name
    module_format  = try(var.access_logs.format, null) == null
  }

  # Signed mode: the baked policy lists publishers (docs/policy-events.md).
  policy_stream = local.stream == null ? null : {
    topic  = module.msk_access[0].topic
    signed = length(try(jsondecode(var.baked_policy_json).publishers, [])) > 0
  }

  dashboard                  = var.observability.dashboard
  alarm_sns_topic_arn        = var.observability.alarm_sns_topic_arn
  stale_alarm_minutes        = var.observability.stale_alarm_minutes
  authorizer_error_threshold = var.observability.authorizer_error_threshold
  server_error_alarm_percent = var.observability.server_error_alarm_percent
  rejected_events_threshold  = var.observability.rejected_events_threshold
  prices                     = var.observability.prices

  tags = local.tags
}
