# A custom domain for the gateway's API: the domain name (REGIONAL endpoint, TLS 1.2), its
# mapping to the stage (at the root or under a base path), an ACM certificate with DNS
# validation when none is given, and A/AAAA alias records when the Route 53 zone is given.

locals {
  is_http            = var.api_type == "http"
  create_certificate = var.certificate_arn == null
  manage_dns         = var.hosted_zone_id != null

  # Given, or the requested one once ACM has issued it (the domain name refuses a pending
  # certificate).
  certificate_arn = local.create_certificate ? aws_acm_certificate_validation.this[0].certificate_arn : var.certificate_arn

  regional_domain_name = local.is_http ? aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].target_domain_name : aws_api_gateway_domain_name.this[0].regional_domain_name
  regional_zone_id     = local.is_http ? aws_apigatewayv2_domain_name.this[0].domain_name_configuration[0].hosted_zone_id : aws_api_gateway_domain_name.this[0].regional_zone_id

  # A requested certificate is only usable once its DNS validation record exists; without
  # the zone the apply would wait for ACM until it times out.
  certificate_rule_holds = !local.create_certificate || local.manage_dns
  certificate_rule       = "custom domain ${var.domain_name}: without certificate_arn the module requests an ACM certificate and validates it through DNS, which needs hosted_zone_id (the Route 53 zone of the domain). Pass hosted_zone_id, or certificate_arn of an issued certificate if you manage DNS yourself."
}

resource "aws_acm_certificate" "this" {
  count = local.create_certificate ? 1 : 0

  domain_name       = var.domain_name
  validation_method = "DNS"
  tags              = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

# One domain, no alternative names: exactly one validation record (count, not for_each, so
# the plan never depends on values ACM returns).
resource "aws_route53_record" "validation" {
  count = local.create_certificate && local.manage_dns ? 1 : 0

  zone_id         = var.hosted_zone_id
  name            = one(aws_acm_certificate.this[0].domain_validation_options).resource_record_name
  type            = one(aws_acm_certificate.this[0].domain_validation_options).resource_record_type
  records         = [one(aws_acm_certificate.this[0].domain_validation_options).resource_record_value]
  ttl             = 60
  allow_overwrite = true
}

resource "aws_acm_certificate_validation" "this" {
  count = local.create_certificate ? 1 : 0

  certificate_arn         = aws_acm_certificate.this[0].arn
  validation_record_fqdns = aws_route53_record.validation[*].fqdn

  lifecycle {
    precondition {
      condition     = local.certificate_rule_holds
      error_message = local.certificate_rule
    }
  }
}

# HTTP API

resource "aws_apigatewayv2_domain_name" "this" {
  count = local.is_http ? 1 : 0

  domain_name = var.domain_name
  tags        = var.tags

  domain_name_configuration {
    certificate_arn = local.certificate_arn
    endpoint_type   = "REGIONAL"
    security_policy = "TLS_1_2"
  }
}

resource "aws_apigatewayv2_api_mapping" "this" {
  count = local.is_http ? 1 : 0

  api_id          = var.api_id
  domain_name     = aws_apigatewayv2_domain_name.this[0].id
  stage           = var.stage_name
  api_mapping_key = var.base_path
}

# REST API

resource "aws_api_gateway_domain_name" "this" {
  count = local.is_http ? 0 : 1

  domain_name              = var.domain_name
  regional_certificate_arn = local.certificate_arn
  security_policy          = "TLS_1_2"
  tags                     = var.tags

  endpoint_configuration {
    types = ["REGIONAL"]
  }
}

resource "aws_api_gateway_base_path_mapping" "this" {
  count = local.is_http ? 0 : 1

  api_id      = var.api_id
  domain_name = aws_api_gateway_domain_name.this[0].domain_name
  stage_name  = var.stage_name
  base_path   = var.base_path
}

# DNS: the domain resolves to the API's regional endpoint, over IPv4 and IPv6.

resource "aws_route53_record" "alias" {
  for_each = local.manage_dns ? toset(["A", "AAAA"]) : toset([])

  zone_id = var.hosted_zone_id
  name    = var.domain_name
  type    = each.key

  alias {
    name                   = local.regional_domain_name
    zone_id                = local.regional_zone_id
    evaluate_target_health = false
  }
}
