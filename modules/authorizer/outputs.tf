output "function_name" {
  description = "Name of the authorizer function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the authorizer function."
  value       = aws_lambda_function.this.arn
}

output "invoke_arn" {
  description = "Invoke ARN of the authorizer function, for an API Gateway authorizer's URI."
  value       = aws_lambda_function.this.invoke_arn
}

output "role_name" {
  description = "Name of the function's execution role (msk-access attaches the policy-stream grants to it)."
  value       = aws_iam_role.this.name
}

output "role_path" {
  description = "Path of the function's execution role (part of its ARN)."
  value       = aws_iam_role.this.path
}

output "role_arn" {
  description = "ARN of the function's execution role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "Name of the function's log group."
  value       = aws_cloudwatch_log_group.this.name
}

output "policy_layer_arn" {
  description = "ARN (with version) of the layer that carries /opt/gateway-policy.json."
  value       = aws_lambda_layer_version.policy.arn
}

output "policy_revision" {
  description = "The `revision` of the baked policy document."
  value       = local.policy_revision
}

output "environment" {
  description = "The environment variables the function gets."
  value       = local.environment
}

output "role_policy_json" {
  description = "The function role's own policy (logs, and ENI rights when in a VPC)."
  value       = jsonencode(local.role_policy)
}

output "artifact" {
  description = "Where the function's code comes from: `source` (zip_path, s3, release or dist), the release `version`, `s3_bucket`, `s3_key`, `s3_object_version` and `source_code_hash`."
  value       = local.artifact
}

output "memory_mb" {
  description = "Memory of the function in MB (the GB-seconds it is billed for)."
  value       = aws_lambda_function.this.memory_size
}

output "architecture" {
  description = "Instruction set of the function (arm64 or x86_64)."
  value       = var.architecture
}

output "region" {
  description = "Region of the function."
  value       = local.region
}
