// The Lambda side: configuration problems, the decision log line and EMF record fields, and
// a response the runtime's JSON.stringify can write (exact revisions included).
import assert from "node:assert/strict";
import { test } from "node:test";

import { handleEvent } from "../src/apigw/response.js";
import { configFromEnv } from "../src/config.js";
import { compact, toJsonSafe } from "../src/json.js";
import { decisionLog, decisionMetrics, METRIC_NAMESPACE } from "../src/observe.js";
import { loadPolicy } from "../src/policy/load.js";
import { claims, generateKey, httpV2, NOW, policy, token } from "./helpers.js";

test("configuration: the same variables and problems as the Rust build", () => {
  const { config, problems } = configFromEnv({ AUTHZ_MAX_STALENESS_MS: "x", AUTHZ_LOG_LEVEL: "loud" });
  assert.equal(config.apiId, "");
  assert.equal(config.policyFile, "/opt/gateway-policy.json");
  assert.equal(config.maxStalenessMs, 1000n);
  assert.match(problems[0] ?? "", /AUTHZ_API_ID/);
  assert.ok(problems.some((p) => p.includes('AUTHZ_LOG_LEVEL="loud"')));
  assert.ok(problems.some((p) => p.includes('AUTHZ_MAX_STALENESS_MS="x" is not a whole number of milliseconds; using 1000')));
  const maxAge = configFromEnv({ AUTHZ_API_ID: "orders", AUTHZ_CHECKPOINT_MAX_AGE_S: "1d" });
  assert.deepEqual(maxAge.problems, ['AUTHZ_CHECKPOINT_MAX_AGE_S="1d" is not a whole number of seconds; using 86400']);
  assert.equal(maxAge.config.checkpointMaxAgeS, 86_400n);
  assert.equal(configFromEnv({ AUTHZ_CHECKPOINT_MAX_AGE_S: "600" }).config.checkpointMaxAgeS, 600n);
  assert.deepEqual(configFromEnv({ AUTHZ_API_ID: "orders", AUTHZ_KAFKA_TOPIC: "t" }).problems, ["AUTHZ_KAFKA_TOPIC is set without AUTHZ_KAFKA_BROKERS or AUTHZ_MSK_CLUSTER_ARN; the policy stream is off"]);
  assert.deepEqual(configFromEnv({ AUTHZ_API_ID: "orders", AUTHZ_KAFKA_BROKERS: "b" }).problems, ["AUTHZ_KAFKA_BROKERS/AUTHZ_MSK_CLUSTER_ARN is set without AUTHZ_KAFKA_TOPIC; the policy stream is off"]);
  const s = configFromEnv({ AUTHZ_API_ID: "orders", AUTHZ_KAFKA_TOPIC: "t", AUTHZ_KAFKA_BROKERS: "b:9092" }).config.stream;
  assert.deepEqual([s?.auth, s?.maxStalenessMs, s?.syncBudgetMs, s?.groupPrefix], ["plaintext", 1000n, 50n, "gateway-authz"]);
  assert.equal(configFromEnv({ AUTHZ_KAFKA_TOPIC: "t", AUTHZ_MSK_CLUSTER_ARN: "arn:aws:kafka:x" }).config.stream?.auth, "msk-iam");
  const bad = configFromEnv({ AUTHZ_LOG_LEVEL: "loud", AUTHZ_SYNC_BUDGET_MS: "-1", AUTHZ_KAFKA_TOPIC: "t", AUTHZ_KAFKA_BROKERS: "b:9092", AUTHZ_KAFKA_AUTH: "kerberos" });
  // The Rust build's messages, in its order (authorizer/src/config.rs).
  assert.deepEqual(bad.problems, [
    "AUTHZ_API_ID is not set; every request is denied with unknown_api. Set it to the API's id in the policy",
    'AUTHZ_LOG_LEVEL="loud" is not error, warn, info or debug; using info',
    'AUTHZ_SYNC_BUDGET_MS="-1" is not a whole number of milliseconds; using 50',
    'AUTHZ_KAFKA_AUTH="kerberos" is not msk-iam, plaintext or sasl-plain; the policy stream is off',
  ]);
  assert.equal(bad.config.stream, undefined);
});

test("one log line and one EMF record per decision, never the token", () => {
  const k = generateKey("ec", "p256");
  const text = JSON.stringify(policy([{ kid: "ec", jwk: k.jwk }], ["ES256"])).replace('"revision":7', '"revision":18446744073709551615');
  const view = loadPolicy(text);
  const t = token(k, "ES256", claims());
  const outcome = handleEvent(view, "orders", httpV2("GET", "/orders/1", `Bearer ${t}`), NOW);
  const line = compact(decisionLog(outcome, "orders", 12n, false, "req-1"));
  assert.equal(line, '{"api_id":"orders","effect":"allow","event":"http_v2","latency_us":12,"level":"info","method":"GET","msg":"decision","path":"/orders/1","principal":"app","reason":"ok","request_id":"req-1","revision":18446744073709551615,"route":"GET /orders/{id}","stale":false}');
  const [, payload = "", sig = ""] = t.split(".");
  assert.ok(!line.includes(payload) && !line.includes(sig));
  const emf = JSON.parse(compact(decisionMetrics(outcome, "orders", 1n, 0n, false))) as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }; Decisions: number };
  const [cw] = emf._aws.CloudWatchMetrics;
  assert.ok(cw !== undefined);
  assert.equal(cw.Namespace, METRIC_NAMESPACE);
  assert.deepEqual(cw.Dimensions, [["ApiId", "Effect", "Reason"]]);
  assert.match(compact(decisionMetrics(outcome, "orders", 1n, 0n, false)), /"Decisions":1\.0,/);
  // The runtime serializes the response with JSON.stringify: exact, no BigInt error.
  assert.match(JSON.stringify(toJsonSafe(outcome.response)), /"policyRevision":18446744073709551615/);
});
