output "domain_name" {
  description = "The custom domain."
  value       = var.domain_name
}

output "url" {
  description = "Base URL of the API on the custom domain: `https://<domain_name>` or `https://<domain_name>/<base_path>` (no stage in the path: the mapping selects the stage)."
  value       = var.base_path == null ? "https://${var.domain_name}" : "https://${var.domain_name}/${var.base_path}"
}

output "regional_domain_name" {
  description = "API Gateway's regional domain name for the custom domain: the target of an alias (or CNAME) record when you manage DNS yourself."
  value       = local.regional_domain_name
}

output "regional_zone_id" {
  description = "Route 53 hosted zone id of the regional domain name (the alias record's `zone_id`)."
  value       = local.regional_zone_id
}

output "certificate_arn" {
  description = "ARN of the certificate the domain uses: the one given, or the one the module requested (validated)."
  value       = local.certificate_arn
}

output "alias_record_fqdns" {
  description = "FQDNs of the A and AAAA alias records the module wrote (empty without hosted_zone_id)."
  value       = [for r in aws_route53_record.alias : r.fqdn]
}
