# modules/authorizer on its own: the function's contract with the authorizer binary
# (runtime, handler, layer, environment) and a least-privilege role with the IAM guardrails.

# The account, region and ARNs of the module's own resources: the role-policy assertions
# compare against them, and the provider checks that role and layers are ARNs.
mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_region" {
    defaults = { name = "eu-west-1" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-authorizer" }
  }
  mock_resource "aws_lambda_layer_version" {
    defaults = { arn = "arn:aws:lambda:eu-west-1:123456789012:layer:orders-gateway-policy:1" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/orders-authorizer" }
  }
}

variables {
  name              = "orders"
  api_id            = "orders"
  baked_policy_json = <<-EOT
    {"schema": "gateway-policy/v1", "revision": 7, "issuers": [], "clients": [],
     "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                                         {"route": "POST /orders", "scopes": ["orders:write"]},
                                         {"route": "GET /health", "public": true}]}],
     "publishers": []}
  EOT
  policy_layer      = { zip_path = "tftest/fixtures/policy-layer.zip" }
  artifact          = { zip_path = "tftest/fixtures/bootstrap.zip" }
}

run "function_contract" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  assert {
    condition     = aws_lambda_function.this.runtime == "provided.al2023" && aws_lambda_function.this.handler == "bootstrap" && aws_lambda_function.this.architectures == tolist(["arm64"])
    error_message = "The function is provided.al2023, handler bootstrap, arm64 by default."
  }

  assert {
    condition     = aws_lambda_function.this.layers == tolist([aws_lambda_layer_version.policy.arn])
    error_message = "The function must carry the policy layer."
  }

  assert {
    condition     = aws_lambda_layer_version.policy.source_code_hash == filebase64sha256("tftest/fixtures/policy-layer.zip") && strcontains(aws_lambda_layer_version.policy.description, "revision=7")
    error_message = "The layer is the given zip, and its description records the policy revision."
  }

  assert {
    condition = aws_lambda_function.this.environment[0].variables == tomap({
      AUTHZ_API_ID           = "orders"
      AUTHZ_POLICY_FILE      = "/opt/gateway-policy.json"
      AUTHZ_LOG_LEVEL        = "info"
      AUTHZ_MAX_STALENESS_MS = "1000"
      AUTHZ_SYNC_BUDGET_MS   = "50"
    })
    error_message = "Without a policy stream the environment is exactly the baked-policy settings."
  }

  assert {
    condition     = length(aws_lambda_function.this.vpc_config) == 0
    error_message = "Without vpc_config the function stays out of any VPC."
  }

  assert {
    condition     = aws_cloudwatch_log_group.this.name == "/aws/lambda/orders-authorizer" && aws_cloudwatch_log_group.this.retention_in_days == 30
    error_message = "The function's log group has a retention."
  }

  assert {
    condition     = [for s in jsondecode(aws_iam_role_policy.this.policy).Statement : s.Resource] == [["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/orders-authorizer:*"]]
    error_message = "Outside a VPC the role may only write its own log group."
  }
}

run "function_in_a_vpc_with_a_policy_stream" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    architecture = "x86_64"
    vpc_config = {
      subnet_ids         = ["subnet-0123456789abcdef0"]
      security_group_ids = ["sg-0123456789abcdef0"]
    }
    policy_stream = {
      cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      topic        = "gateway-policy.v1"
      brokers      = "b-1.platform:9098,b-2.platform:9098"
      group_prefix = "gateway-authz-orders"
    }
  }

  assert {
    condition     = aws_lambda_function.this.architectures == tolist(["x86_64"])
    error_message = "architecture selects the function's instruction set."
  }

  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables["AUTHZ_KAFKA_TOPIC"] == "gateway-policy.v1" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_KAFKA_BROKERS"] == "b-1.platform:9098,b-2.platform:9098" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_KAFKA_AUTH"] == "msk-iam" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_KAFKA_GROUP_PREFIX"] == "gateway-authz-orders" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_TOMBSTONE_RETENTION_MS"] == "86400000" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_CHECKPOINT_MAX_AGE_S"] == "86400" &&
      !contains(keys(aws_lambda_function.this.environment[0].variables), "AUTHZ_STATUS_TOPIC") &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_MSK_CLUSTER_ARN"] == var.policy_stream.cluster_arn
    )
    error_message = "A policy stream adds the AUTHZ_KAFKA_* settings the authorizer documents."
  }

  assert {
    condition     = length(aws_lambda_function.this.vpc_config) == 1
    error_message = "vpc_config places the function in the VPC."
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.this.policy).Statement :
      !contains(flatten([s.Resource]), "*") || alltrue([for a in flatten([s.Action]) : startswith(a, "ec2:Describe")])
    ])
    error_message = "In a VPC, Resource = \"*\" is allowed only for EC2 Describe* calls."
  }

  assert {
    condition     = contains(flatten([for s in jsondecode(aws_iam_role_policy.this.policy).Statement : flatten([s.Resource]) if s.Sid == "CreateEniInOwnSubnets"]), "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-0123456789abcdef0")
    error_message = "ENI creation is scoped to the function's own subnets."
  }
}

run "policy_stream_reports_status_and_bounds_checkpoint_age" {
  command = apply

  module {
    source = "./modules/authorizer"
  }

  variables {
    vpc_config = {
      subnet_ids         = ["subnet-0123456789abcdef0"]
      security_group_ids = ["sg-0123456789abcdef0"]
    }
    policy_stream = {
      cluster_arn          = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      topic                = "gateway-policy.v1"
      brokers              = "b-1.platform:9098"
      group_prefix         = "gateway-authz-orders"
      checkpoint_max_age_s = 3600
      status_topic         = "gateway-status.v1"
    }
  }

  assert {
    condition = (
      aws_lambda_function.this.environment[0].variables["AUTHZ_CHECKPOINT_MAX_AGE_S"] == "3600" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_STATUS_TOPIC"] == "gateway-status.v1" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_GATEWAY_NAME"] == "orders" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_ACCOUNT_ID"] == "123456789012" &&
      aws_lambda_function.this.environment[0].variables["AUTHZ_MODULE_VERSION"] != ""
    )
    error_message = "The checkpoint age and the status reporting settings reach the function."
  }
}

run "checkpoint_max_age_below_a_minute_is_refused" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    policy_stream = {
      cluster_arn          = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
      topic                = "gateway-policy.v1"
      brokers              = "b-1.platform:9098"
      group_prefix         = "gateway-authz-orders"
      checkpoint_max_age_s = 10
    }
  }

  expect_failures = [var.policy_stream]
}

run "baked_policy_must_list_the_api" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    api_id = "payments"
  }

  expect_failures = [aws_lambda_layer_version.policy]
}

run "artifact_from_s3" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    artifact     = { s3_bucket = "platform-artifacts", s3_key = "gateway/authorizer/1.4.0/bootstrap-arm64.zip", source_code_hash = "abc=" }
    policy_layer = { s3_bucket = "orders-artifacts", s3_key = "policy/7/policy-layer.zip" }
  }

  assert {
    condition     = aws_lambda_function.this.filename == null && aws_lambda_function.this.s3_bucket == "platform-artifacts"
    error_message = "An S3 artifact replaces the local zip."
  }

  assert {
    condition     = aws_lambda_layer_version.policy.filename == null && aws_lambda_layer_version.policy.s3_key == "policy/7/policy-layer.zip"
    error_message = "An S3 policy layer replaces the local zip."
  }
}

run "role_gets_the_iam_guardrails" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  variables {
    iam = {
      permissions_boundary_arn = "arn:aws:iam::123456789012:policy/platform/team-boundary"
      role_path                = "/gateway/"
    }
  }

  assert {
    condition     = aws_iam_role.this.path == "/gateway/" && aws_iam_role.this.permissions_boundary == "arn:aws:iam::123456789012:policy/platform/team-boundary"
    error_message = "The execution role must carry iam's permissions boundary and path."
  }
}

run "role_has_no_boundary_by_default" {
  command = plan

  module {
    source = "./modules/authorizer"
  }

  assert {
    condition     = aws_iam_role.this.path == "/" && aws_iam_role.this.permissions_boundary == null
    error_message = "Without iam the role keeps the path \"/\" and no boundary."
  }
}
