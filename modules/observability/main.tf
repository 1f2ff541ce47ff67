# A CloudWatch dashboard per gateway and, with an SNS topic, its alarms. Every metric name,
# namespace and dimension they read is stated once, in the locals below; the authorizer's
# are the ones authorizer/src/observe.rs and stream/consumer.rs (and the TypeScript build's
# observe.ts and stream/live.ts) emit as EMF records. docs/observability.md lists them.

module "inputs" {
  source = "../shared-inputs"

  name   = var.name
  api_id = var.api_id
  topic  = try(var.policy_stream.topic, null)
  tags   = var.tags
}

locals {
  # --- The authorizer's metrics (EMF, one dimension set per record kind) -----------------
  namespace = "TeamGateway/Authorizer"
  metric = {
    decisions                = "Decisions"              # per decision, 1
    stale_decisions          = "StaleDecisions"         # per decision, 1 when served stale
    policy_revision          = "PolicyRevision"         # per decision; per topic on stream transitions
    policy_staleness_ms      = "PolicyStalenessMs"      # per decision; per topic on stream transitions
    policy_lag               = "PolicyLag"              # per topic, on stream transitions
    policy_events_applied    = "PolicyEventsApplied"    # per topic, on stream transitions
    policy_events_rejected   = "PolicyEventsRejected"   # per rejected record
    policy_entities_withheld = "PolicyEntitiesWithheld" # per topic, signed mode, when it changes
    policy_stream_unanchored = "PolicyStreamUnanchored" # per topic, signed mode, with the above
  }
  # The dimension sets exactly as emitted: CloudWatch keys a metric by its whole set, so a
  # query names all of them (SEARCH and Metrics Insights then aggregate over the rest).
  dimensions = {
    decision  = ["ApiId", "Effect", "Reason"]
    topic     = ["Topic"]
    rejection = ["Rejection", "Topic"]
  }
  # A replay of records the view already holds (every cold start replays the topic): no alarm.
  benign_rejections = ["stale_revision"]

  # --- AWS metrics -----------------------------------------------------------------------
  lambda = {
    namespace  = "AWS/Lambda"
    dimensions = { FunctionName = var.authorizer.function_name }
  }
  # HTTP APIs are keyed by ApiId and name their error metrics 4xx/5xx; REST APIs by ApiName
  # with 4XXError/5XXError.
  api_metrics = {
    http = { dimensions = { ApiId = var.api.id, Stage = var.api.stage }, count = "Count", client_errors = "4xx", server_errors = "5xx" }
    rest = { dimensions = { ApiName = var.api.name, Stage = var.api.stage }, count = "Count", client_errors = "4XXError", server_errors = "5XXError" }
  }
  api = merge(local.api_metrics[var.api.type], { namespace = "AWS/ApiGateway" })
  logs = {
    namespace = "AWS/Logs"
    metric    = "IncomingBytes"
    groups    = compact([var.authorizer.log_group_name, try(var.access_logs.log_group_name, null)])
  }

  # --- Names ---------------------------------------------------------------------------
  names = {
    dashboard = "${module.inputs.name}-gateway"
    alarms = {
      authorizer_errors        = "${module.inputs.name}-authorizer-errors"
      api_server_errors        = "${module.inputs.name}-api-5xx-rate"
      policy_stale             = "${module.inputs.name}-policy-stale"
      policy_events_rejected   = "${module.inputs.name}-policy-events-rejected"
      policy_entities_withheld = "${module.inputs.name}-policy-entities-withheld"
      policy_stream_unanchored = "${module.inputs.name}-policy-stream-unanchored"
    }
  }

  # --- Prices (USD) ----------------------------------------------------------------------
  price = {
    api_per_million_requests    = coalesce(var.prices.api_per_million_requests, var.api.type == "rest" ? 3.50 : 1.00)
    lambda_per_million_requests = var.prices.lambda_per_million_requests
    lambda_per_gb_second        = coalesce(var.prices.lambda_per_gb_second, var.authorizer.architecture == "arm64" ? 0.0000133334 : 0.0000166667)
    logs_per_gb_ingested        = var.prices.logs_per_gb_ingested
  }

  stream = var.policy_stream == null ? null : merge(var.policy_stream, { topic = module.inputs.topic })
  # API Gateway counts a throttled request as a 4xx; only the access log says 429.
  throttle_widget = try(var.access_logs.module_format, false)
  period          = 300 # seconds: of every graph and alarm (the stale alarm: 60)
  # The 5xx rate is judged only from this many requests in a period: 1 error in 3 is noise.
  server_error_min_requests = 10

  # --- Queries -------------------------------------------------------------------------
  # SEARCH (dashboards): every series of one metric of this gateway, across the other dimensions.
  decision_schema = "{${local.namespace},${join(",", local.dimensions.decision)}}"
  search = {
    for k, m in {
      decisions       = [local.metric.decisions, "Sum"]
      stale_decisions = [local.metric.stale_decisions, "Sum"]
      revision_max    = [local.metric.policy_revision, "Maximum"]
      revision_min    = [local.metric.policy_revision, "Minimum"]
      staleness       = [local.metric.policy_staleness_ms, "Maximum"]
      } : k => format("SEARCH('%s MetricName=\"%s\" ApiId=\"%s\"', '%s', %d)",
    local.decision_schema, m[0], module.inputs.api_id, m[1], local.period)
  }
  search_effect = {
    for e in ["allow", "deny"] : e => format("SEARCH('%s MetricName=\"%s\" ApiId=\"%s\" Effect=\"%s\"', 'Sum', %d)",
    local.decision_schema, local.metric.decisions, module.inputs.api_id, e, local.period)
  }
  search_rejected = local.stream == null ? null : format("SEARCH('{%s,%s} MetricName=\"%s\" Topic=\"%s\"', 'Sum', %d)",
  local.namespace, join(",", local.dimensions.rejection), local.metric.policy_events_rejected, local.stream.topic, local.period)

  # Metrics Insights (alarms, which take no SEARCH): one series, aggregated over the rest.
  insights = {
    staleness = format("SELECT MAX(%s) FROM SCHEMA(\"%s\", %s) WHERE ApiId = '%s'",
    local.metric.policy_staleness_ms, local.namespace, join(", ", local.dimensions.decision), module.inputs.api_id)
    rejected = local.stream == null ? null : format("SELECT SUM(%s) FROM SCHEMA(\"%s\", %s) WHERE Topic = '%s' AND %s",
      local.metric.policy_events_rejected, local.namespace, join(", ", local.dimensions.rejection), local.stream.topic,
    join(" AND ", [for r in local.benign_rejections : "Rejection != '${r}'"]))
  }
}

# ---------------------------------------------------------------------------------------
# Dashboard
# ---------------------------------------------------------------------------------------

locals {
  # [namespace, metric, dimension, value, ...] as dashboard widgets take them.
  lambda_metric = { for m in ["Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions"] :
  m => concat([local.lambda.namespace, m], flatten([for k, v in local.lambda.dimensions : [k, v]])) }
  api_metric = { for m in [local.api.count, local.api.client_errors, local.api.server_errors, "Latency", "IntegrationLatency"] :
  m => concat([local.api.namespace, m], flatten([for k, v in local.api.dimensions : [k, v]])) }
  topic_metric = local.stream == null ? {} : { for m in [local.metric.policy_revision, local.metric.policy_lag, local.metric.policy_entities_withheld, local.metric.policy_stream_unanchored] :
  m => [local.namespace, m, "Topic", local.stream.topic] }

  gb_per_function = var.authorizer.memory_mb / 1024
  # Usage (hidden), then each part's cost; the graph stacks the parts, the number adds a total.
  cost_inputs = concat(
    [
      concat(local.api_metric[local.api.count], [{ id = "req", stat = "Sum", visible = false }]),
      concat(local.lambda_metric["Invocations"], [{ id = "inv", stat = "Sum", visible = false }]),
      concat(local.lambda_metric["Duration"], [{ id = "dur", stat = "Sum", visible = false }]),
    ],
    [for i, g in local.logs.groups : [local.logs.namespace, local.logs.metric, "LogGroupName", g, { id = "log${i}", stat = "Sum", visible = false }]],
  )
  cost_parts = [
    [{ id = "api", label = "API Gateway requests", expression = "FILL(req, 0) * ${local.price.api_per_million_requests} / 1000000" }],
    [{ id = "lreq", label = "Lambda requests", expression = "FILL(inv, 0) * ${local.price.lambda_per_million_requests} / 1000000" }],
    [{ id = "gbs", label = "Lambda GB-seconds", expression = "FILL(dur, 0) / 1000 * ${local.gb_per_function} * ${local.price.lambda_per_gb_second}" }],
    [{ id = "logs", label = "Log ingestion", expression = "(${join(" + ", [for i, g in local.logs.groups : "FILL(log${i}, 0)"])}) / 1073741824 * ${local.price.logs_per_gb_ingested}" }],
  ]
  cost_total = [{ id = "total", label = "Total", expression = "api + lreq + gbs + logs" }]

  header = join("\n", compact([
    "## Gateway ${module.inputs.name}",
    "Decisions: `${local.namespace}`, `ApiId` = `${module.inputs.api_id}` (the policy's API id). API: ${var.api.type == "http" ? "HTTP API `${var.api.id}`" : "REST API `${var.api.name}`"}, stage `${var.api.stage}`. Authorizer: `${var.authorizer.function_name}`${local.stream == null ? ", baked policy only" : ", policy topic `${local.stream.topic}`"}.",
    "Cost: usage × price inputs (default us-east-1 list prices), excluding custom metrics, this dashboard, alarms, MSK and data transfer. Metric names and dimensions: docs/observability.md.",
  ]))

  # Rows of widgets, each [width, height, type, properties]; laid out left to right below.
  rows = [
    [
      [24, 3, "text", { markdown = local.header }],
    ],
    [
      [12, 6, "metric", {
        title   = "Decisions by effect"
        view    = "timeSeries"
        stacked = true
        metrics = [for e, q in local.search_effect : [{ id = e, label = e, expression = "SUM(${q})" }]]
      }],
      [12, 6, "metric", {
        title   = "Decisions by effect and reason"
        view    = "timeSeries"
        metrics = [[{ id = "reasons", expression = local.search.decisions }]]
      }],
    ],
    [
      [8, 6, "metric", {
        title = "Authorizer latency (ms)"
        view  = "timeSeries"
        metrics = [
          concat(local.lambda_metric["Duration"], [{ stat = "p50", label = "p50" }]),
          concat(local.lambda_metric["Duration"], [{ stat = "p99", label = "p99" }]),
          concat(local.lambda_metric["Duration"], [{ stat = "Maximum", label = "max" }]),
        ]
      }],
      [8, 6, "metric", {
        title = "Authorizer errors and throttles"
        view  = "timeSeries"
        metrics = [
          concat(local.lambda_metric["Errors"], [{ stat = "Sum", label = "errors" }]),
          concat(local.lambda_metric["Throttles"], [{ stat = "Sum", label = "throttles" }]),
          concat(local.lambda_metric["Invocations"], [{ stat = "Sum", label = "invocations", yAxis = "right" }]),
        ]
      }],
      [8, 6, "metric", {
        title = "Authorizer concurrency"
        view  = "timeSeries"
        metrics = [
          concat(local.lambda_metric["ConcurrentExecutions"], [{ stat = "Maximum", label = "concurrent executions" }]),
        ]
      }],
    ],
    concat(
      [
        [8, 6, "metric", {
          title = "Policy revision in force"
          view  = "timeSeries"
          yAxis = { left = { showUnits = false } }
          metrics = concat(
            [
              [{ id = "rmax", label = "highest (decisions)", expression = "MAX(${local.search.revision_max})" }],
              [{ id = "rmin", label = "lowest (decisions)", expression = "MIN(${local.search.revision_min})" }],
            ],
            local.stream == null ? [] : [concat(local.topic_metric[local.metric.policy_revision], [{ stat = "Maximum", label = "stream (on transitions)" }])],
          )
        }],
        [8, 6, "metric", {
          title = "Policy staleness"
          view  = "timeSeries"
          metrics = [
            [{ id = "staleness", label = "staleness (ms, max)", expression = "MAX(${local.search.staleness})" }],
            [{ id = "stale", label = "stale decisions", expression = "SUM(${local.search.stale_decisions})", yAxis = "right" }],
          ]
          annotations = {
            horizontal = local.stream == null ? [] : [{ label = "stale alarm", value = var.stale_alarm_minutes * 60000 }]
          }
        }],
      ],
      local.stream == null ? [] : [
        [8, 6, "metric", {
          title = "Rejected policy events"
          view  = "timeSeries"
          metrics = concat(
            [[{ id = "rejected", expression = local.search_rejected }]],
            [concat(local.topic_metric[local.metric.policy_lag], [{ stat = "Maximum", label = "lag (records)", yAxis = "right" }])],
            local.stream.signed ? [
              concat(local.topic_metric[local.metric.policy_entities_withheld], [{ stat = "Maximum", label = "entities withheld", yAxis = "right" }]),
              concat(local.topic_metric[local.metric.policy_stream_unanchored], [{ stat = "Maximum", label = "unanchored", yAxis = "right" }]),
            ] : [],
          )
        }],
      ],
    ),
    concat(
      [
        [8, 6, "metric", {
          title = "API requests, 4xx and 5xx"
          view  = "timeSeries"
          metrics = [
            concat(local.api_metric[local.api.count], [{ stat = "Sum", label = "requests", yAxis = "right" }]),
            concat(local.api_metric[local.api.client_errors], [{ stat = "Sum", label = "4xx" }]),
            concat(local.api_metric[local.api.server_errors], [{ stat = "Sum", label = "5xx" }]),
          ]
        }],
        [8, 6, "metric", {
          title = "API 5xx rate (%)"
          view  = "timeSeries"
          metrics = [
            concat(local.api_metric[local.api.count], [{ id = "req", stat = "Sum", visible = false }]),
            concat(local.api_metric[local.api.server_errors], [{ id = "err", stat = "Sum", visible = false }]),
            [{ id = "rate", label = "5xx %", expression = "100 * FILL(err, 0) / req" }],
          ]
          annotations = { horizontal = [{ label = "5xx alarm", value = var.server_error_alarm_percent }] }
        }],
        [8, 6, "metric", {
          title = "API latency (ms)"
          view  = "timeSeries"
          metrics = [
            concat(local.api_metric["Latency"], [{ stat = "p50", label = "p50" }]),
            concat(local.api_metric["Latency"], [{ stat = "p99", label = "p99" }]),
            concat(local.api_metric["IntegrationLatency"], [{ stat = "p99", label = "integration p99" }]),
          ]
        }],
      ],
    ),
    concat(
      [
        [8, 6, "metric", {
          title                = "Estimated cost, last 30 days (USD)"
          view                 = "singleValue"
          start                = "-P30D"
          setPeriodToTimeRange = true
          metrics              = concat(local.cost_inputs, local.cost_parts, [local.cost_total])
        }],
        [local.throttle_widget ? 8 : 16, 6, "metric", {
          title   = "Estimated cost per hour (USD)"
          view    = "timeSeries"
          stacked = true
          period  = 3600
          metrics = concat(local.cost_inputs, local.cost_parts)
        }],
      ],
      !local.throttle_widget ? [] : [
        [8, 6, "log", {
          title = "Throttled requests (429, access logs)"
          view  = "timeSeries"
          query = "SOURCE '${try(var.access_logs.log_group_name, "")}' | filter @message like '\"status\":\"429\"' | stats count(*) as throttled by bin(5m)"
        }],
      ],
    ),
  ]

  widgets = concat(
    flatten([
      for r, row in local.rows : [
        for i, w in row : {
          type   = w[2]
          x      = sum(concat([0], [for j, o in row : o[0] if j < i]))
          y      = sum(concat([0], [for rr, prev in local.rows : max([for o in prev : o[1]]...) if rr < r]))
          width  = w[0]
          height = w[1]
          # Metric and log widgets name their region; metric widgets a period, 5 minutes unless given.
          properties = merge(w[3], {
            for k, v in { region = var.region, period = try(w[3].period, local.period) } : k => v
            if w[2] == "metric" || (w[2] == "log" && k == "region")
          })
        }
      ]
    ]),
    length(local.alarms) == 0 ? [] : [{
      type   = "alarm"
      x      = 0
      y      = sum([for prev in local.rows : max([for o in prev : o[1]]...)])
      width  = 24
      height = 3
      properties = {
        title  = "Alarms"
        alarms = [for k in sort(keys(local.alarms)) : aws_cloudwatch_metric_alarm.this[k].arn]
      }
    }],
  )
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard ? 1 : 0

  dashboard_name = local.names.dashboard
  dashboard_body = jsonencode({ widgets = local.widgets })
}

# ---------------------------------------------------------------------------------------
# Alarms: only with an SNS topic to notify
# ---------------------------------------------------------------------------------------

locals {
  # One shape for every alarm: its queries are metrics (`metric`), metric math or a Metrics
  # Insights query (`expression`, with `period` for the latter); the one with return_data
  # is what the threshold judges.
  alarm_definitions = {
    authorizer_errors = {
      description        = "Authorizer ${var.authorizer.function_name}: Errors + Throttles in 5 minutes above ${var.authorizer_error_threshold}. A failed or throttled invocation is a request with no decision (API Gateway answers it with a 5xx)."
      threshold          = var.authorizer_error_threshold
      evaluation_periods = 1
      treat_missing_data = "notBreaching"
      queries = [
        { id = "errors", expression = null, period = null, label = null, return_data = false, metric = { namespace = local.lambda.namespace, name = "Errors", stat = "Sum", dimensions = tomap(local.lambda.dimensions) } },
        { id = "throttles", expression = null, period = null, label = null, return_data = false, metric = { namespace = local.lambda.namespace, name = "Throttles", stat = "Sum", dimensions = tomap(local.lambda.dimensions) } },
        { id = "failed", expression = "FILL(errors, 0) + FILL(throttles, 0)", period = null, label = "errors + throttles", return_data = true, metric = null },
      ]
    }
    api_server_errors = {
      description        = "API ${coalesce(var.api.id, var.api.name)} stage ${var.api.stage}: more than ${var.server_error_alarm_percent}% of requests in 5 minutes answered 5xx (from ${local.server_error_min_requests} requests up)."
      threshold          = var.server_error_alarm_percent
      evaluation_periods = 1
      treat_missing_data = "notBreaching"
      queries = [
        { id = "req", expression = null, period = null, label = null, return_data = false, metric = { namespace = local.api.namespace, name = local.api.count, stat = "Sum", dimensions = tomap(local.api.dimensions) } },
        { id = "err", expression = null, period = null, label = null, return_data = false, metric = { namespace = local.api.namespace, name = local.api.server_errors, stat = "Sum", dimensions = tomap(local.api.dimensions) } },
        { id = "rate", expression = "IF(FILL(req, 0) >= ${local.server_error_min_requests}, 100 * FILL(err, 0) / req, 0)", period = null, label = "5xx %", return_data = true, metric = null },
      ]
    }
    # Judged each minute on the decisions made: an idle gateway decides nothing stale, and
    # keeps the state it had (missing data is ignored) until its next decision.
    policy_stale = {
      description        = "Gateway ${module.inputs.name}: a decision was made on a policy view last confirmed fresh more than ${var.stale_alarm_minutes} minutes ago (PolicyStalenessMs, ApiId ${module.inputs.api_id}). Kafka unreachable from the authorizer, or the topic is gone."
      threshold          = var.stale_alarm_minutes * 60000
      evaluation_periods = 1
      treat_missing_data = "ignore"
      queries = [
        { id = "staleness", expression = local.insights.staleness, period = 60, label = "staleness (ms)", return_data = true, metric = null },
      ]
    }
    policy_events_rejected = {
      description        = "Policy topic ${try(local.stream.topic, "")}: more than ${var.rejected_events_threshold} records rejected in 5 minutes (PolicyEventsRejected, stale_revision excepted). Read the `policy event rejected` log lines; every gateway of the account on this topic sees the same records."
      threshold          = var.rejected_events_threshold
      evaluation_periods = 1
      treat_missing_data = "notBreaching"
      queries = [
        { id = "rejected", expression = local.insights.rejected, period = local.period, label = "rejected records", return_data = true, metric = null },
      ]
    }
    # Gauges emitted when they change: missing data keeps the last state.
    policy_entities_withheld = {
      description        = "Policy topic ${try(local.stream.topic, "")}: entities withheld from the view because their signed record is missing (PolicyEntitiesWithheld above 0). Someone wrote the topic who should not have."
      threshold          = 0
      evaluation_periods = 1
      treat_missing_data = "ignore"
      queries = [
        { id = "withheld", expression = null, period = null, label = null, return_data = true, metric = { namespace = local.namespace, name = local.metric.policy_entities_withheld, stat = "Maximum", dimensions = tomap({ Topic = try(local.stream.topic, "") }) } },
      ]
    }
    policy_stream_unanchored = {
      description        = "Policy topic ${try(local.stream.topic, "")}: signed mode serves the baked policy for want of a fresh checkpoint (PolicyStreamUnanchored = 1). The portal's scheduled `authz publish` stopped, or the topic is being replayed."
      threshold          = 0
      evaluation_periods = 1
      treat_missing_data = "ignore"
      queries = [
        { id = "unanchored", expression = null, period = null, label = null, return_data = true, metric = { namespace = local.namespace, name = local.metric.policy_stream_unanchored, stat = "Maximum", dimensions = tomap({ Topic = try(local.stream.topic, "") }) } },
      ]
    }
  }

  alarm_keys = var.alarm_sns_topic_arn == null ? [] : concat(
    ["authorizer_errors", "api_server_errors"],
    local.stream == null ? [] : ["policy_stale", "policy_events_rejected"],
    try(local.stream.signed, false) ? ["policy_entities_withheld", "policy_stream_unanchored"] : [],
  )
  alarms = { for k in local.alarm_keys : k => local.alarm_definitions[k] }
}

resource "aws_cloudwatch_metric_alarm" "this" {
  for_each = local.alarms

  alarm_name          = local.names.alarms[each.key]
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = each.value.evaluation_periods
  treat_missing_data  = each.value.treat_missing_data
  actions_enabled     = true
  alarm_actions       = [var.alarm_sns_topic_arn]
  ok_actions          = [var.alarm_sns_topic_arn]
  tags                = module.inputs.tags

  dynamic "metric_query" {
    for_each = each.value.queries
    content {
      id          = metric_query.value.id
      expression  = metric_query.value.expression
      period      = metric_query.value.period
      label       = metric_query.value.label
      return_data = metric_query.value.return_data

      dynamic "metric" {
        for_each = metric_query.value.metric == null ? [] : [metric_query.value.metric]
        content {
          namespace   = metric.value.namespace
          metric_name = metric.value.name
          stat        = metric.value.stat
          dimensions  = metric.value.dimensions
          period      = local.period
        }
      }
    }
  }
}
