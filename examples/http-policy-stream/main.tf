provider "aws" {
  region = var.region

  default_tags {
    tags = { team = "orders", cost-center = "cc-1234" }
  }
}

module "gateway" {
  # In your own configuration, pin a release:
  # source = "git::https://git.example.com/platform/team-gateway.git?ref=v0.1.0"
  source = "../.."

  name   = var.name
  api_id = "orders"

  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/orders/{id}" }
    }
    "POST /orders" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/orders" }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/health" }
      public      = true
    }
  }

  baked_policy_json   = file("${path.module}/policy/orders-baked.json")
  policy_layer        = { zip_path = var.policy_layer_zip }
  authorizer_artifact = { zip_path = var.authorizer_zip }

  authorizer = {
    max_staleness_ms = 1000
    sync_budget_ms   = 50
  }

  # The central MSK cluster lives in the platform account: the module creates a multi-VPC
  # connection in this account (clients use TCP 14001-14100), a security group that only
  # reaches it, and IAM for kafka-cluster:Connect/DescribeTopic/ReadData on the one topic.
  policy_stream = {
    cluster_arn           = var.cluster_arn
    topic                 = "gateway-policy.v1"
    bootstrap_brokers     = var.bootstrap_brokers
    vpc_id                = var.vpc_id
    subnet_ids            = var.subnet_ids
    create_vpc_connection = var.create_vpc_connection
  }

  # The dashboard <name>-gateway is on by default; an SNS topic turns on the alarms (authorizer
  # errors, 5xx rate, a view stale for more than 10 minutes, rejected policy events).
  observability = {
    alarm_sns_topic_arn = var.alarm_sns_topic_arn
    stale_alarm_minutes = 10
  }

  tags = { team = "orders", cost-center = "cc-1234" }
}
