# modules/shared-inputs: the rules of vpc_link integrations and of vpc_links, one per run,
# each refusing a bad value; the defaults filled in. Plans of nothing but the checks.

variables {
  name = "orders"
  api_authorizer = {
    function_name = "orders-authorizer"
    invoke_arn    = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:orders-authorizer/invocations"
  }
  vpc_links = {
    private = { subnet_ids = ["subnet-0a1b2c3d"] }
    nlb     = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/net/orders/0123456789abcdef"] }
    shared  = { id = "abc123" }
  }
  routes = {
    "GET /orders" = {
      integration = { type = "vpc_link", vpc_link = "private", uri = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/net/orders/0123456789abcdef/fedcba9876543210" }
    }
    "GET /catalog" = {
      integration = { type = "vpc_link", vpc_link = "shared", uri = "arn:aws:servicediscovery:eu-west-1:123456789012:service/srv-abcdef0123456789", server_name_to_verify = "catalog.internal.example.com" }
    }
    "GET /stock" = {
      integration = { type = "vpc_link", vpc_link = "nlb", uri = "https://stock.internal.example.com/stock" }
    }
  }
}

run "vpc_link_inputs_get_their_defaults" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  assert {
    condition     = length(output.vpc_links["private"].security_group_ids) == 0 && output.vpc_links["private"].id == null && output.vpc_links["nlb"].subnet_ids == null
    error_message = "A link's security_group_ids default to none; unset fields are null."
  }

  assert {
    condition     = output.routes["GET /orders"].integration.vpc_link == "private" && output.routes["GET /orders"].integration.server_name_to_verify == null
    error_message = "A vpc_link route keeps its link key; server_name_to_verify defaults to null."
  }
}

run "vpc_link_type_needs_a_vpc_link_key" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "vpc_link_key_only_with_vpc_link_type" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", vpc_link = "private", uri = "https://orders.internal.example.com/orders" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "server_name_to_verify_only_with_vpc_link" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "http_proxy", uri = "https://orders.internal.example.com/orders", server_name_to_verify = "orders.internal.example.com" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "vpc_link_uri_must_be_a_listener_service_or_url" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        # a load balancer, not its listener
        integration = { type = "vpc_link", vpc_link = "private", uri = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders/0123456789abcdef" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "vpc_link_uri_must_not_be_empty" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    routes = {
      "GET /orders" = {
        integration = { type = "vpc_link", vpc_link = "private", uri = "" }
      }
    }
  }

  expect_failures = [var.routes]
}

run "vpc_link_is_an_id_or_a_link_to_create_not_both" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { private = { id = "abc123", subnet_ids = ["subnet-0a1b2c3d"] } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_needs_an_id_or_a_link_to_create" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { private = { security_group_ids = ["sg-0a1b2c3d4e"] } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_key_must_be_a_name" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { "private link" = { id = "abc123" } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_id_must_be_an_id" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { shared = { id = "arn:aws:apigateway:eu-west-1::/vpclinks/abc123" } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_subnet_ids_must_be_subnets" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { private = { subnet_ids = ["10.0.1.0/24"] } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_subnet_ids_must_not_be_empty" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { private = { subnet_ids = [] } }
  }

  expect_failures = [var.vpc_links]
}

run "vpc_link_security_group_ids_must_be_groups" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { private = { subnet_ids = ["subnet-0a1b2c3d"], security_group_ids = ["orders-backend"] } }
  }

  expect_failures = [var.vpc_links]
}

run "rest_vpc_link_targets_must_be_nlbs_not_albs" {
  command = plan

  module {
    source = "./modules/shared-inputs"
  }

  variables {
    vpc_links = { nlb = { target_arns = ["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/orders/0123456789abcdef"] } }
  }

  expect_failures = [var.vpc_links]
}
