# The authorizer function: provided.al2023 `bootstrap` (or the TypeScript build on
# nodejs22.x, authorizer_runtime), the baked policy as a layer at
# /opt/gateway-policy.json, a least-privilege role and a log group with retention.
# The API modules create the aws_lambda_permission scoped to their own authorizer.

module "inputs" {
  source = "../shared-inputs"

  name               = var.name
  api_id             = var.api_id
  log_retention_days = { log_retention_days = var.log_retention_days }
  cluster_arn        = try(var.policy_stream.cluster_arn, null)
  iam                = var.iam
  tags               = var.tags
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  function_name = "${var.name}-authorizer"
  partition     = data.aws_partition.current.partition
  # The region of the function's own log group: data.aws_region's `name` is deprecated in
  # provider 6.x and its replacement `region` does not exist in 5.x.
  region     = split(":", aws_cloudwatch_log_group.this.arn)[3]
  account_id = data.aws_caller_identity.current.account_id

  # Where the code comes from, first match: the team's zip_path, the team's S3 object, the
  # release this module version pins (release.json: bucket pattern, key prefix, hash), or
  # the zip `make build` leaves in a checkout.
  # The released zip of each runtime: one per architecture for the Rust binary, one for
  # the JavaScript bundle (architecture-independent).
  is_rust        = var.runtime == "rust"
  lambda_runtime = local.is_rust ? "provided.al2023" : var.runtime
  handler        = local.is_rust ? "bootstrap" : "handler.handler"
  zip_name       = local.is_rust ? "bootstrap-${var.architecture}.zip" : "authorizer-${var.runtime}.zip"
  release_slot   = local.is_rust ? var.architecture : var.runtime

  release        = jsondecode(coalesce(var.release_manifest_json, file("${path.module}/release.json")))
  release_hash   = try(local.release.source_code_hash[local.release_slot], null)
  release_bucket = try(coalesce(var.artifact.release_bucket, local.release.bucket), null)
  own_zip        = var.artifact.zip_path != null
  own_s3         = var.artifact.s3_bucket != null
  use_release    = !local.own_zip && !local.own_s3 && local.release_hash != null && local.release_bucket != null
  use_zip        = !local.own_s3 && !local.use_release
  artifact_zip   = coalesce(var.artifact.zip_path, "${path.module}/../../dist/${local.zip_name}")
  artifact = {
    source            = local.own_zip ? "zip_path" : local.own_s3 ? "s3" : local.use_release ? "release" : "dist"
    version           = local.use_release ? try(tostring(local.release.version), null) : null
    s3_bucket         = local.own_s3 ? var.artifact.s3_bucket : local.use_release ? replace(local.release_bucket, "{region}", local.region) : null
    s3_key            = local.own_s3 ? var.artifact.s3_key : local.use_release ? "${local.release.s3_key_prefix}${local.zip_name}" : null
    s3_object_version = local.own_s3 ? var.artifact.s3_object_version : null
    source_code_hash = (local.own_s3 ? var.artifact.source_code_hash : local.use_release ? local.release_hash
      : fileexists(local.artifact_zip) ? filebase64sha256(local.artifact_zip) : null
    )
  }

  policy            = jsondecode(var.baked_policy_json)
  policy_revision   = try(tostring(local.policy.revision), "none")
  policy_sha256     = sha256(var.baked_policy_json)
  policy_api_listed = contains([for a in try(local.policy.apis, []) : try(a.id, "")], var.api_id)

  in_vpc = var.vpc_config != null
  ec2    = "arn:${local.partition}:ec2:${local.region}:${local.account_id}"

  assume_role_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "LambdaAssume"
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
      Condition = { StringEquals = { "aws:SourceAccount" = local.account_id } }
    }]
  }

  # Least privilege: its own log group; ENI rights only in a VPC, scoped to its subnets,
  # security groups and network interfaces. The policy-stream grants come from msk-access.
  role_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [{
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = ["${aws_cloudwatch_log_group.this.arn}:*"]
      }],
      local.in_vpc ? [
        {
          Sid    = "CreateEniInOwnSubnets"
          Effect = "Allow"
          Action = ["ec2:CreateNetworkInterface"]
          Resource = concat(
            [for s in var.vpc_config.subnet_ids : "${local.ec2}:subnet/${s}"],
            [for g in var.vpc_config.security_group_ids : "${local.ec2}:security-group/${g}"],
            ["${local.ec2}:network-interface/*"],
          )
        },
        {
          Sid      = "ManageOwnEnis"
          Effect   = "Allow"
          Action   = ["ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses"]
          Resource = ["${local.ec2}:network-interface/*"]
        },
        {
          # EC2 Describe* calls have no resource-level permissions: "*" is the only value.
          Sid      = "DescribeEnis"
          Effect   = "Allow"
          Action   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
          Resource = ["*"]
        },
      ] : [],
      var.tracing_mode == "Active" ? [{
        # X-Ray's write calls have no resource-level permissions: "*" is the only value.
        Sid      = "WriteTraces"
        Effect   = "Allow"
        Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
        Resource = ["*"]
      }] : [],
    )
  }

  environment = merge(
    {
      AUTHZ_API_ID           = var.api_id
      AUTHZ_POLICY_FILE      = "/opt/gateway-policy.json"
      AUTHZ_LOG_LEVEL        = var.log_level
      AUTHZ_MAX_STALENESS_MS = tostring(var.max_staleness_ms)
      AUTHZ_SYNC_BUDGET_MS   = tostring(var.sync_budget_ms)
    },
    var.policy_stream == null ? {} : merge(
      {
        AUTHZ_KAFKA_TOPIC            = var.policy_stream.topic
        AUTHZ_MSK_CLUSTER_ARN        = var.policy_stream.cluster_arn
        AUTHZ_KAFKA_AUTH             = "msk-iam"
        AUTHZ_KAFKA_GROUP_PREFIX     = var.policy_stream.group_prefix
        AUTHZ_TOMBSTONE_RETENTION_MS = tostring(var.policy_stream.tombstone_retention_ms)
        AUTHZ_CHECKPOINT_MAX_AGE_S   = tostring(var.policy_stream.checkpoint_max_age_s)
      },
      var.policy_stream.brokers == null ? {} : { AUTHZ_KAFKA_BROKERS = var.policy_stream.brokers },
      var.policy_stream.status_topic == null ? {} : {
        AUTHZ_STATUS_TOPIC   = var.policy_stream.status_topic
        AUTHZ_GATEWAY_NAME   = var.name
        AUTHZ_ACCOUNT_ID     = local.account_id
        AUTHZ_MODULE_VERSION = local.release.version
      },
    ),
  )
}

resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_338:Retention is the team's choice (log_retention_days, default 30 days); decision logs carry no secrets.
  # checkov:skip=CKV_AWS_158:KMS encryption is opt-in through kms_key_arn; CloudWatch Logs encrypts at rest by default.
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_iam_role" "this" {
  name                 = local.function_name
  description          = "Execution role of the gateway authorizer ${local.function_name}"
  path                 = module.inputs.iam.role_path
  permissions_boundary = module.inputs.iam.permissions_boundary_arn
  assume_role_policy   = jsonencode(local.assume_role_policy)
  tags                 = var.tags
}

resource "aws_iam_role_policy" "this" {
  name   = "authorizer"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.role_policy)
}

resource "aws_lambda_layer_version" "policy" {
  layer_name               = "${var.name}-gateway-policy"
  description              = substr("gateway-policy/v1 api=${var.api_id} revision=${local.policy_revision} sha256=${local.policy_sha256}", 0, 256)
  filename                 = var.policy_layer.zip_path
  s3_bucket                = var.policy_layer.s3_bucket
  s3_key                   = var.policy_layer.s3_key
  s3_object_version        = var.policy_layer.s3_object_version
  source_code_hash         = var.policy_layer.zip_path == null ? null : filebase64sha256(var.policy_layer.zip_path)
  compatible_runtimes      = [local.lambda_runtime]
  compatible_architectures = [var.architecture]

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = local.policy_api_listed
      error_message = "baked_policy_json has no entry in \"apis\" whose id is \"${var.api_id}\" (api_id): every route would be denied."
    }
  }
}

resource "aws_lambda_function" "this" {
  # checkov:skip=CKV_AWS_116:A synchronous API Gateway authorizer has no asynchronous invocations for a dead-letter queue to catch.
  # checkov:skip=CKV_AWS_117:The function joins a VPC only when it follows the policy stream (vpc_config); the baked-policy-only mode needs no network.
  # checkov:skip=CKV_AWS_272:The bootstrap zip is the platform team's release artifact, pinned by hash; code signing is left to the account's own setup.
  # checkov:skip=CKV_AWS_50:X-Ray tracing is opt-in (tracing_mode = "Active"); the authorizer emits its own metrics and decision logs.
  # checkov:skip=CKV_AWS_115:Reserved concurrency is opt-in (reserved_concurrency); reserving by default would take from the account's pool.
  # checkov:skip=CKV_AWS_173:The environment holds no secrets (ids, topic names, limits); kms_key_arn encrypts it when set.
  function_name = local.function_name
  description   = "Gateway authorizer for API ${var.api_id}"
  role          = aws_iam_role.this.arn
  runtime       = local.lambda_runtime
  handler       = local.handler
  architectures = [var.architecture]
  memory_size   = var.memory_mb
  timeout       = var.timeout_s
  layers        = [aws_lambda_layer_version.policy.arn]
  kms_key_arn   = var.kms_key_arn

  filename          = local.use_zip ? local.artifact_zip : null
  s3_bucket         = local.artifact.s3_bucket
  s3_key            = local.artifact.s3_key
  s3_object_version = local.artifact.s3_object_version
  source_code_hash  = local.artifact.source_code_hash

  reserved_concurrent_executions = var.reserved_concurrency

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = var.tracing_mode
  }

  dynamic "vpc_config" {
    for_each = local.in_vpc ? [var.vpc_config] : []
    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !local.use_zip || fileexists(local.artifact_zip)
      error_message = "No authorizer zip: ${local.artifact_zip} does not exist, and ${local.release_hash == null ? "this module version pins no released authorizer for ${local.release_slot} (modules/authorizer/release.json)" : "no release bucket is named (artifact.release_bucket, or `bucket` in release.json)"}. Set artifact.release_bucket to the platform team's release bucket (\"name-{region}\"), artifact.zip_path to a zip you built (make build), or artifact.s3_bucket + s3_key + source_code_hash."
    }
  }

  depends_on = [aws_cloudwatch_log_group.this, aws_iam_role_policy.this]
}
