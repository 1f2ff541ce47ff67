# The inputs several submodules take, checked and completed in one place: the gateway name,
# tags, the route table, stage name, throttling, access logs, the API Gateway side of the
# authorizer, log retention, the MSK cluster ARN, the policy's API id and topic, the IAM
# role guardrails. No resources. Each submodule passes the inputs it has and uses what this
# module returns, so a submodule used on its own checks its inputs exactly as the root
# module does, and every rule is written once.

locals {
  # "METHOD /a/{b}/c" -> method, path, segments and path parameter names.
  routes = var.routes == null ? null : {
    for key, r in var.routes : key => merge(r, {
      method   = split(" ", key)[0]
      path     = split(" ", key)[1]
      segments = compact(split("/", split(" ", key)[1]))
      params   = [for s in compact(split("/", split(" ", key)[1])) : trimsuffix(trim(s, "{}"), "+") if startswith(s, "{")]
    })
  }
}
