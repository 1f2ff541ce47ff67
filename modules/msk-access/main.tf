# What the authorizer needs to read the policy topic on the central MSK cluster:
# a security group that only reaches the brokers, IAM scoped to the cluster, the topic and a
# dedicated group-name prefix, write on the status topic only (docs/fleet.md), and (cluster
# in another account) a multi-VPC connection plus the cluster policy the platform account
# must attach.

module "inputs" {
  source = "../shared-inputs"

  name        = var.name
  cluster_arn = var.cluster_arn
  topic       = var.topic
  iam         = { role_path = var.role_path }
  tags        = var.tags
}

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

data "aws_vpc" "this" {
  id = var.vpc_id
}

locals {
  arn_parts       = split(":", var.cluster_arn)
  cluster_region  = local.arn_parts[3]
  cluster_account = local.arn_parts[4]
  cluster_path    = split("/", local.arn_parts[5]) # cluster/<name>/<uuid>
  cluster_name    = local.cluster_path[1]
  cluster_uuid    = local.cluster_path[2]
  arn_prefix      = "arn:${local.arn_parts[1]}:kafka:${local.cluster_region}:${local.cluster_account}"

  topic_arn = "${local.arn_prefix}:topic/${local.cluster_name}/${local.cluster_uuid}/${var.topic}"
  group_arn = "${local.arn_prefix}:group/${local.cluster_name}/${local.cluster_uuid}/${var.group_prefix}*"
  # The one topic an authorizer may write: its status reports. Never the policy topic.
  status_topic_arn = var.status_topic == null ? null : "${local.arn_prefix}:topic/${local.cluster_name}/${local.cluster_uuid}/${var.status_topic}"

  cross_account = coalesce(var.cross_account, local.cluster_account != data.aws_caller_identity.current.account_id)
  # IAM inside the cluster's VPC listens on 9098; multi-VPC connectivity maps each broker
  # to a port in 14001-14100.
  broker_from_port = local.cross_account ? 14001 : 9098
  broker_to_port   = local.cross_account ? 14100 : 9098
  broker_cidrs     = coalesce(var.broker_cidr_blocks, [data.aws_vpc.this.cidr_block])

  partition    = data.aws_partition.current.partition
  account_id   = data.aws_caller_identity.current.account_id
  grantee      = var.role_name == null ? "arn:${local.partition}:iam::${local.account_id}:root" : "arn:${local.partition}:iam::${local.account_id}:role${module.inputs.iam.role_path}${var.role_name}"
  account_root = "arn:${local.partition}:iam::${local.account_id}:root"
  data_plane = [
    { Sid = "ConnectToPolicyCluster", Action = ["kafka-cluster:Connect"], Resource = [var.cluster_arn] },
    { Sid = "ReadPolicyTopic", Action = ["kafka-cluster:DescribeTopic", "kafka-cluster:ReadData"], Resource = [local.topic_arn] },
    { Sid = "DedicatedGroupPrefix", Action = ["kafka-cluster:DescribeGroup", "kafka-cluster:AlterGroup"], Resource = [local.group_arn] },
  ]
  # Status reports: plain (not idempotent) produce, so no cluster-wide WriteDataIdempotently.
  status_plane = var.status_topic == null ? [] : [
    { Sid = "WriteStatusTopic", Action = ["kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"], Resource = [local.status_topic_arn] },
  ]

  # Granted to the authorizer's role: the one cluster, the one topic, the group prefix, and
  # write on the status topic.
  client_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [for s in concat(local.data_plane, local.status_plane) : merge(s, { Effect = "Allow" })],
      var.brokers_known ? [] : [{
        Sid      = "DiscoverBrokers"
        Effect   = "Allow"
        Action   = ["kafka:GetBootstrapBrokers", "kafka:DescribeClusterV2"]
        Resource = [var.cluster_arn]
      }],
    )
  }

  # The platform account attaches this to the cluster (aws_msk_cluster_policy or
  # `aws kafka put-cluster-policy`): data-plane access for this authorizer's role on the one
  # topic and group prefix, and the multi-VPC connection calls for this account.
  cluster_policy = {
    Version = "2012-10-17"
    Statement = concat(
      [for s in concat(local.data_plane, local.status_plane) : merge(s, { Sid = "Gateway${s.Sid}", Effect = "Allow", Principal = { AWS = local.grantee } })],
      [{
        Sid       = "GatewayMultiVpcConnection"
        Effect    = "Allow"
        Principal = { AWS = local.account_root }
        Action    = ["kafka:CreateVpcConnection", "kafka:GetBootstrapBrokers", "kafka:DescribeCluster", "kafka:DescribeClusterV2"]
        Resource  = [var.cluster_arn]
      }],
    )
  }

  create_sg          = length(var.security_group_ids) == 0
  security_group_ids = local.create_sg ? [aws_security_group.this[0].id] : var.security_group_ids
}

resource "aws_security_group" "this" {
  # checkov:skip=CKV2_AWS_5:Attached to the authorizer function's vpc_config by the root module (and to the multi-VPC connection).
  count = local.create_sg ? 1 : 0

  name        = "${var.name}-authz-kafka"
  description = "Gateway authorizer ${var.name}: egress to the MSK brokers only"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = "${var.name}-authz-kafka" })

  egress {
    description = local.cross_account ? "Kafka SASL/IAM through the multi-VPC connection" : "Kafka SASL/IAM inside the cluster VPC"
    protocol    = "tcp"
    from_port   = local.broker_from_port
    to_port     = local.broker_to_port
    cidr_blocks = local.broker_cidrs
  }

  dynamic "egress" {
    for_each = !var.brokers_known && length(var.https_egress_cidr_blocks) > 0 ? [1] : []
    content {
      description = "HTTPS to the MSK API for broker discovery"
      protocol    = "tcp"
      from_port   = 443
      to_port     = 443
      cidr_blocks = var.https_egress_cidr_blocks
    }
  }

  dynamic "ingress" {
    for_each = local.cross_account && var.create_vpc_connection ? [1] : []
    content {
      description = "From the authorizer to the multi-VPC connection endpoints (same group)"
      protocol    = "tcp"
      from_port   = 14001
      to_port     = 14100
      self        = true
    }
  }
}

resource "aws_iam_role_policy" "client" {
  count = var.role_name == null ? 0 : 1

  name   = "policy-stream"
  role   = var.role_name
  policy = jsonencode(local.client_policy)
}

resource "aws_msk_vpc_connection" "this" {
  count = local.cross_account && var.create_vpc_connection ? 1 : 0

  authentication     = "SASL_IAM"
  target_cluster_arn = var.cluster_arn
  vpc_id             = var.vpc_id
  client_subnets     = var.subnet_ids
  security_groups    = local.security_group_ids
  tags               = var.tags
}

