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

  name     = var.name
  api_type = "rest"
  api_id   = "orders" # the API's id in the developer portal's policy

  routes = {
    "GET /orders/{id}" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/orders/{id}" }
    }
    "POST /orders" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/orders" }
      timeout_ms  = 10000
      throttling  = { burst_limit = 50, rate_limit = 20 }
    }
    "GET /health" = {
      integration = { type = "http_proxy", uri = "${var.backend_url}/health" }
      public      = true # no authorizer on this route
    }
  }

  throttling = { burst_limit = 200, rate_limit = 100 }

  # REST access logs need the account's API Gateway CloudWatch Logs role (see README).
  rest_account_logging = var.rest_account_logging

  # Optional: serve the API at https://<domain_name>/orders (see README).
  custom_domain = var.domain_name == null ? null : {
    domain_name     = var.domain_name
    hosted_zone_id  = var.hosted_zone_id
    certificate_arn = var.certificate_arn
    base_path       = "orders"
  }

  baked_policy_json   = file("${path.module}/policy/orders-baked.json")
  policy_layer        = { zip_path = var.policy_layer_zip }
  authorizer_artifact = { zip_path = var.authorizer_zip }

  tags = { team = "orders", cost-center = "cc-1234" }
}
