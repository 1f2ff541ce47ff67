# modules/msk-access grants the authorizer write on the status topic and on nothing else
# (docs/fleet.md): the policy topic stays read-only, no wildcard topic is writable, and the
# cluster policy for a cross-account cluster says the same. Plans only, mocked AWS provider.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_vpc" {
    defaults = { cidr_block = "10.20.0.0/16" }
  }
}

variables {
  name         = "orders"
  cluster_arn  = "arn:aws:kafka:eu-west-1:123456789012:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
  group_prefix = "gateway-authz-orders"
  role_name    = "orders-authorizer"
  vpc_id       = "vpc-0123456789abcdef0"
  subnet_ids   = ["subnet-0123456789abcdef0"]
}

run "write_on_the_status_topic_only" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    cross_account = false
  }

  assert {
    condition = [
      for s in jsondecode(aws_iam_role_policy.client[0].policy).Statement : s.Resource
      if contains(s.Action, "kafka-cluster:WriteData")
      ] == [
      ["arn:aws:kafka:eu-west-1:123456789012:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-status.v1"],
    ]
    error_message = "the authorizer's role must get kafka-cluster:WriteData on the status topic, in one statement, and nowhere else"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.client[0].policy).Statement :
      !anytrue([for a in s.Action : can(regex("\\*|WriteDataIdempotently|CreateTopic|AlterTopic|DeleteTopic", a))])
    ])
    error_message = "no wildcard actions, no cluster-wide idempotent write, no topic administration"
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.client[0].policy).Statement :
      !contains(s.Action, "kafka-cluster:WriteData") || !contains(s.Resource, output.topic_arn)
    ])
    error_message = "the policy topic must never be writable by the authorizer"
  }

  assert {
    condition     = output.status_topic_arn == "arn:aws:kafka:eu-west-1:123456789012:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/gateway-status.v1"
    error_message = "status_topic_arn names the status topic on the cluster"
  }
}

run "the_cross_account_cluster_policy_grants_the_same_write" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    cluster_arn  = "arn:aws:kafka:eu-west-1:111122223333:cluster/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3"
    status_topic = "team-status.v1"
  }

  assert {
    condition = [
      for s in jsondecode(output.cluster_policy_json).Statement : [s.Principal.AWS, s.Resource]
      if contains(s.Action, "kafka-cluster:WriteData")
      ] == [
      ["arn:aws:iam::123456789012:role/orders-authorizer", ["arn:aws:kafka:eu-west-1:111122223333:topic/platform/0a1b2c3d-4e5f-6789-abcd-ef0123456789-3/team-status.v1"]],
    ]
    error_message = "the cluster policy lets the authorizer's role write the status topic only"
  }
}

run "no_status_topic_no_write_at_all" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    cross_account = false
    status_topic  = null
  }

  assert {
    condition = alltrue([
      for s in jsondecode(aws_iam_role_policy.client[0].policy).Statement : !contains(s.Action, "kafka-cluster:WriteData")
    ])
    error_message = "without a status topic the authorizer writes nowhere"
  }

  assert {
    condition     = output.status_topic_arn == null
    error_message = "no status topic, no ARN"
  }
}

run "the_status_topic_is_never_the_policy_topic_nor_a_pattern" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    cross_account = false
    status_topic  = "gateway-policy.v1"
  }

  expect_failures = [
    output.status_topic_arn,
  ]
}

run "the_status_topic_name_is_checked" {
  command = plan

  module {
    source = "./modules/msk-access"
  }

  variables {
    cross_account = false
    status_topic  = "gateway-*"
  }

  expect_failures = [
    var.status_topic,
  ]
}
