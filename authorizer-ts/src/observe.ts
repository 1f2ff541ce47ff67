// Observability: one JSON log line per decision and CloudWatch embedded-metric-format (EMF)
// records, with the Rust build's fields (authorizer/src/observe.rs). Never a token, a claim
// value other than the client id, or key material.

import type { Outcome } from "./apigw/response.js";
import type { Out } from "./json.js";

/** The CloudWatch namespace of every metric the authorizer emits. */
export const METRIC_NAMESPACE = "TeamGateway/Authorizer";

/** The log line for one decision. */
export function decisionLog(outcome: Outcome, apiId: string, latencyUs: bigint, stale: boolean, requestId: string): Out {
  const d = outcome.decision;
  return {
    level: "info", msg: "decision", request_id: requestId, api_id: apiId, effect: d.effect, reason: d.reason,
    principal: d.principal ?? null, method: outcome.method ?? null, path: outcome.path ?? null, route: d.route ?? null,
    event: outcome.shape ?? null, revision: d.revision, stale, latency_us: latencyUs,
  };
}

/** An EMF record: CloudWatch turns the listed members into metrics; the rest stay log fields. */
export function emf(timestampMs: bigint, dimensions: readonly [string, string][], metrics: readonly [string, number, string][]): Out {
  const record: Record<string, Out> = {};
  for (const [k, v] of dimensions) record[k] = v;
  for (const [name, value] of metrics) record[name] = value;
  record._aws = {
    Timestamp: timestampMs,
    CloudWatchMetrics: [{ Namespace: METRIC_NAMESPACE, Dimensions: [dimensions.map(([k]) => k)], Metrics: metrics.map(([name, , unit]) => ({ Name: name, Unit: unit })) }],
  };
  return record;
}

/** The metrics of one decision: a count by effect and reason, the policy revision and staleness. */
export function decisionMetrics(outcome: Outcome, apiId: string, timestampMs: bigint, stalenessMs: bigint, stale: boolean): Out {
  const d = outcome.decision;
  return emf(timestampMs, [["ApiId", apiId], ["Effect", d.effect], ["Reason", d.reason]], [
    ["Decisions", 1, "Count"],
    ["PolicyRevision", Number(d.revision), "None"],
    ["PolicyStalenessMs", Number(stalenessMs), "Milliseconds"],
    ["StaleDecisions", stale ? 1 : 0, "Count"],
  ]);
}
