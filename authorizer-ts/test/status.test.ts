// The status report and reporter (docs/fleet.md): the same bytes as the Rust build for the
// same state (the golden files authorizer/src/status/testdata/, which the Rust unit tests
// check its encoder against), valid against schema/gateway-status.v1.json whatever the
// policy topic holds, the Rust build's settings and problems, and a reporter that reports
// at the bounded rate and never makes a decision wait.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";

import { configFromEnv } from "../src/config.js";
import type { Out } from "../src/json.js";
import { REJECTIONS, type Rejection } from "../src/stream/event.js";
import type { Applied } from "../src/stream/replica.js";
import { buildReport, claimedRevision, encode, Ledger, MAX_REJECTIONS, MAX_REPORT_BYTES, NO_VIEW, printable, reportKey, type Identity, type StatusReport } from "../src/status/report.js";
import { AUTHORIZER_VERSION, DEFAULT_INTERVAL_MS, newEnvironmentId, Reporter, settingsForGateway, STALE_CHANGE_GAP_MS, statusSettings, type StatusSender } from "../src/status/reporter.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const schema = JSON.parse(readFileSync(`${repo}schema/gateway-status.v1.json`, "utf8")) as Record<string, unknown>;
// strictTypes off: the schema is plain draft 2020-12 (maxLength beside an allOf of a string).
const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(schema);

function valid(text: string): void {
  const ok = validate(JSON.parse(text));
  assert.ok(ok, `${JSON.stringify(validate.errors)}: ${text}`);
}

const ENV_A = "0123456789abcdef0123456789abcdef";
const ENV_B = "fedcba9876543210fedcba9876543210";

/** The Rust unit tests' identity (authorizer/src/status/report.rs `identity`). */
function identity(gateway: string, environment: string): Identity {
  return {
    gateway, apiId: "orders", account: "123456789012", region: "eu-west-1", moduleVersion: "1.4.0", authorizerBuild: "rust", authorizerVersion: "0.1.0",
    environment, logStream: "2026/12/02/[$LATEST]0123abcd", startedAtMs: 1000n,
  };
}

const applied: Applied = { op: "tombstone", kind: "client", id: "x" };
const rejected = (reason: Rejection, detail = "signature does not verify"): Applied => ({ op: "rejected", reason, detail });
const b = (s: string): Buffer => Buffer.from(s, "latin1");

/** The states of report.rs `golden_states`, built the same way. */
function goldenStates(): [string, StatusReport][] {
  const stream = new Ledger();
  stream.record(0, 4n, b("client/a"), b("{}"), applied, 10n);
  stream.record(0, 5n, b("client/\x1b[31mred"), b('{"revision": 43}'), rejected("bad_signature"), 11n);
  stream.record(1, 9n, null, b("eyJhbGciOiJFZERTQSJ9.eyJyZXZpc2lvbiI6MTJ9.c2ln"), rejected("unsigned", "caf\u00e9 \u0007bell"), 12n);
  stream.record(1, 2n, b("api/orders"), null, applied, 13n);
  stream.record(0, 3n, b("client/b"), null, applied, 14n);
  const fresh = buildReport(identity("orders", ENV_A), stream, { revision: 42n, caughtUp: true, stale: false, stalenessMs: 3n }, "apply", 7n, 60_000n, 20n);
  const none = buildReport({ ...identity("billing", ENV_B), logStream: undefined }, new Ledger(), NO_VIEW, "invocation", 0n, 1_000n, 5n);
  const full = new Ledger();
  for (let offset = 0; offset < 20; offset++) full.record(2, BigInt(offset), b(`client/c${offset}`), b(`{"revision": ${100 + offset}}`), rejected("stale_revision"), BigInt(30 + offset));
  const stale = buildReport(identity("orders", ENV_A), full, { revision: (1n << 64n) - 1n, caughtUp: false, stale: true, stalenessMs: 5_000n }, "invocation", 3n, 60_000n, 99n);
  return [["stream", fresh], ["none", none], ["rejections", stale]];
}

test("a report is the Rust build's bytes for the same state (golden files) and valid against the schema", () => {
  for (const [name, report] of goldenStates()) {
    const golden = readFileSync(`${repo}authorizer/src/status/testdata/report-${name}.json`, "utf8").trimEnd();
    const text = encode(report);
    assert.equal(text, golden, name);
    valid(text);
  }
  const [, fresh] = goldenStates()[0] ?? [];
  assert.ok(fresh !== undefined);
  assert.equal(reportKey(fresh), `123456789012/eu-west-1/orders/${ENV_A}`);
  assert.equal(fresh.source, "stream");
  // Every member the schema requires is written, and the reasons are the schema's.
  const required = schema.required as string[];
  assert.deepEqual(Object.keys(JSON.parse(encode(fresh)) as object).filter((k) => k !== "log_stream"), required);
  const props = schema.properties as { rejected: { items: { properties: { reason: { enum: string[] } } } } };
  assert.deepEqual(props.rejected.items.properties.reason.enum, [...REJECTIONS]);
});

test("source is none, baked or stream; a rejection applies nothing", () => {
  const at = (ledger: Ledger, revision: bigint | undefined): string => buildReport(identity("orders", ENV_A), ledger, { ...NO_VIEW, revision }, "invocation", 1n, 1n, 1n).source;
  const ledger = new Ledger();
  assert.equal(at(ledger, undefined), "none");
  assert.equal(at(ledger, 7n), "baked");
  ledger.record(0, 0n, null, null, rejected("malformed"), 1n);
  assert.equal(at(ledger, 7n), "baked");
  ledger.record(0, 1n, null, null, { op: "checkpoint", revision: 3n, signedBy: "p", entities: 0, fresh: true }, 1n);
  assert.equal(at(ledger, 7n), "stream");
  assert.equal(at(ledger, undefined), "none");
});

test("the claimed revision reads from JSON and JWS, as serde_json reads it, and never throws", () => {
  assert.equal(claimedRevision(b('{"revision": 9}')), 9n);
  assert.equal(claimedRevision(b(`eyJhbGciOiJFZERTQSJ9.${Buffer.from('{"revision":12}').toString("base64url")}.c2ln`)), 12n);
  assert.equal(claimedRevision(b(' \n{"revision": 18446744073709551615}\t')), (1n << 64n) - 1n);
  for (const bad of ["a.b.c.d", '{"revision": -1}', '{"revision": 1.0}', '{"revision": 18446744073709551616}', '{"revision": "3"}', '{"revision": 3', "[1]", "", "x.eyJyZXZpc2lvbiI6MTJ9=.y", '{"a":1}']) {
    assert.equal(claimedRevision(b(bad)), undefined, bad);
  }
  assert.equal(claimedRevision(Buffer.from([0xff, 0xfe])), undefined);
  // Duplicate members: the last one, as serde_json's Value keeps it.
  assert.equal(claimedRevision(b('{"revision": 1, "revision": 2}')), 2n);
});

test("the ledger keeps the last sixteen rejections, counts all, and keeps the highest offset applied", () => {
  const ledger = new Ledger();
  for (let offset = 0n; offset < 40n; offset++) ledger.record(1, offset, null, null, rejected("unsigned"), 1n);
  ledger.record(3, 8n, null, null, applied, 1n);
  ledger.record(3, 2n, null, null, applied, 1n);
  ledger.record(0, 5n, null, null, applied, 1n);
  const r = buildReport(identity("g", ENV_A), ledger, NO_VIEW, "apply", 1n, 1n, 1n);
  assert.equal(r.rejectedTotal, 40n);
  assert.equal(r.rejected.length, MAX_REJECTIONS);
  assert.equal(r.rejected[0]?.offset, 24n);
  assert.deepEqual(r.offsets, [{ partition: 0, applied: 5n }, { partition: 3, applied: 8n }]);
  valid(encode(r));
});

test("whatever the policy topic holds, the report is valid and under the size limit", () => {
  let seed = 20261202;
  const next = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => next(256)));
  for (let run = 0; run < 50; run++) {
    const ledger = new Ledger();
    for (let i = 0, n = next(60); i < n; i++) {
      const key = next(4) === 0 ? null : bytes(next(400));
      const value = next(4) === 0 ? null : next(2) === 0 ? bytes(next(300)) : b(`{"revision": ${next(1000)}}`);
      const detail = String.fromCodePoint(...Array.from({ length: next(300) }, () => next(0x3000)));
      const reason = REJECTIONS[next(REJECTIONS.length)] ?? "malformed";
      ledger.record(next(4), BigInt(next(1_000_000)), key, value, next(2) === 0 ? applied : rejected(reason, detail), 5n);
    }
    const revision = next(3) === 0 ? undefined : BigInt(next(1 << 30));
    const text = encode(buildReport(identity("orders", ENV_A), ledger, { revision, caughtUp: true, stale: next(2) === 0, stalenessMs: 9n }, "invocation", 3n, 1n, 7n));
    assert.ok(text.length < MAX_REPORT_BYTES);
    valid(text);
  }
  assert.equal(printable(b("a\x1b]0;x\x07"), 256), "a?]0;x?");
  assert.equal(printable("é", 256), "??");
  assert.equal(printable("abcdef", 3), "abc");
});

const streamVars = { AUTHZ_API_ID: "orders", AUTHZ_KAFKA_TOPIC: "p", AUTHZ_KAFKA_BROKERS: "b:9092" };

test("settings come from the Rust build's variables, with each problem named", () => {
  const config = configFromEnv(streamVars).config;
  assert.deepEqual(statusSettings({}, config), { settings: undefined, problems: [] });
  assert.deepEqual(statusSettings({ AUTHZ_STATUS_TOPIC: "s" }, configFromEnv({ AUTHZ_API_ID: "orders" }).config), {
    settings: undefined,
    problems: ["AUTHZ_STATUS_TOPIC is set without a policy stream (AUTHZ_KAFKA_TOPIC and brokers); no status reports"],
  });
  const { settings, problems } = statusSettings({
    AUTHZ_STATUS_TOPIC: " gateway-status.v1 ", AUTHZ_STATUS_INTERVAL_MS: "5", AUTHZ_GATEWAY_NAME: "bad name",
    AWS_LAMBDA_FUNCTION_NAME: "orders-authorizer", AWS_REGION: "eu-west-1", AWS_LAMBDA_LOG_STREAM_NAME: "2026/12/02/[$LATEST]ab\u001bc",
  }, config);
  assert.ok(settings !== undefined);
  assert.equal(settings.topic, "gateway-status.v1");
  assert.equal(settings.intervalMs, DEFAULT_INTERVAL_MS);
  assert.equal(settings.identity.gateway, "orders-authorizer", "a bad name falls back");
  assert.deepEqual([settings.identity.region, settings.identity.account, settings.identity.moduleVersion], ["eu-west-1", "unknown", "unknown"]);
  assert.equal(settings.identity.logStream, "2026/12/02/[$LATEST]ab?c");
  assert.deepEqual([settings.identity.authorizerBuild, settings.identity.authorizerVersion], ["typescript", AUTHORIZER_VERSION]);
  assert.match(settings.identity.environment, /^[0-9a-f]{32}$/);
  assert.deepEqual(problems, [
    "AUTHZ_STATUS_INTERVAL_MS is not a whole number of milliseconds of at least 1000; using 60000",
    "AUTHZ_GATEWAY_NAME is not 1 to 128 of A-Z a-z 0-9 . _ : @ + -; reporting a default instead",
  ]);
  const named = statusSettings({ AUTHZ_STATUS_TOPIC: "s", AUTHZ_STATUS_INTERVAL_MS: "+2000", AUTHZ_GATEWAY_NAME: "orders", AUTHZ_ACCOUNT_ID: "123456789012", AUTHZ_MODULE_VERSION: "1.4.0", AWS_LAMBDA_FUNCTION_NAME: "fn" }, config);
  assert.deepEqual(named.problems, []);
  assert.deepEqual([named.settings?.intervalMs, named.settings?.identity.gateway, named.settings?.identity.account, named.settings?.identity.moduleVersion], [2000n, "orders", "123456789012", "1.4.0"]);
  // The staleness bound must stay below the interval (the fleet view's idle rule relies on it), as in the Rust build.
  assert.deepEqual(statusSettings({ AUTHZ_STATUS_TOPIC: "s", AUTHZ_STATUS_INTERVAL_MS: "1000" }, config).problems, [
    "AUTHZ_MAX_STALENESS_MS (1000) is not below AUTHZ_STATUS_INTERVAL_MS (1000): an environment the fleet view counts as idle could serve its old view unflagged after a thaw; lower the staleness bound or raise the interval",
  ]);
  // No name, no function name: the API id; no API id either: unknown.
  assert.equal(statusSettings({ AUTHZ_STATUS_TOPIC: "s" }, config).settings?.identity.gateway, "orders");
  assert.equal(statusSettings({ AUTHZ_STATUS_TOPIC: "s" }, { apiId: "", stream: config.stream }).settings?.identity.gateway, "unknown");
  assert.equal(statusSettings({ AUTHZ_STATUS_TOPIC: "s", AUTHZ_STATUS_INTERVAL_MS: "18446744073709551616" }, config).problems.length, 1);
  assert.notEqual(newEnvironmentId(), newEnvironmentId());
  const pkg = JSON.parse(readFileSync(`${repo}authorizer-ts/package.json`, "utf8")) as { version: string };
  assert.equal(AUTHORIZER_VERSION, pkg.version);
});

/** A sender that keeps what it is given; `answer` decides each send's fate. */
function recordingSender(answer: (n: number) => Promise<void> = () => Promise.resolve()): StatusSender & { sent: { topic: string; key: string; report: Record<string, unknown> }[] } {
  const sent: { topic: string; key: string; report: Record<string, unknown> }[] = [];
  return {
    sent,
    send(topic, key, value) {
      sent.push({ topic, key, report: JSON.parse(value) as Record<string, unknown> });
      return answer(sent.length);
    },
  };
}

function logs(): { lines: Record<string, Out>[]; log: (level: string, line: Record<string, Out>) => void } {
  const lines: Record<string, Out>[] = [];
  return { lines, log: (level, line) => lines.push({ ...line, level }) };
}

test("invocations report once per interval and on a stale change (at most once a second); an apply always", async () => {
  let clock = 10_000_000n;
  const sender = recordingSender();
  const settings = { ...settingsForGateway("orders", "orders"), intervalMs: 3_600_000n };
  const reporter = new Reporter(settings, () => sender, { syncBudgetMs: 50n, log: () => undefined, now: () => clock });
  reporter.watch(() => ({ revision: 7n, caughtUp: true }));
  const triggers = (): unknown[] => sender.sent.map((s) => [s.report.seq, s.report.trigger, s.report.stale]);
  reporter.onInvocation(false, 0n);
  await reporter.idle();
  assert.deepEqual(triggers(), [[1, "invocation", false]], "the first invocation reports");
  clock += 1n;
  reporter.onInvocation(false, 0n);
  await reporter.idle();
  assert.equal(sender.sent.length, 1, "not again within the interval");
  // A stale change is reported, but not within a second of the last report.
  reporter.onInvocation(true, 5_000n);
  await reporter.idle();
  assert.equal(sender.sent.length, 1);
  clock += 2n * STALE_CHANGE_GAP_MS;
  reporter.onInvocation(true, 5_000n);
  await reporter.idle();
  assert.deepEqual(triggers().at(-1), [2, "invocation", true]);
  assert.equal(sender.sent.at(-1)?.report.staleness_ms, 5000);
  reporter.applied();
  await reporter.idle();
  assert.deepEqual(triggers().at(-1), [3, "apply", true], "an apply reports at once, with the last decision's freshness");
  // Asked for many times before the report is made: one report.
  reporter.applied();
  reporter.applied();
  clock += 3_600_000n;
  reporter.onInvocation(true, 1n);
  await reporter.idle();
  assert.deepEqual(triggers().slice(3), [[4, "apply", true]], "an apply asked for meanwhile is not downgraded, and says it all");
  assert.equal(sender.sent.at(-1)?.key, reportKey(settings.identity));
  assert.equal(sender.sent.at(-1)?.topic, "gateway-status.v1");
  assert.equal(reporter.sent, 4);
  for (const s of sender.sent) valid(JSON.stringify(s.report));
});

test("the decision path never waits: a hung, failing or missing producer is logged at most once a minute", async () => {
  // Hung: the send is never acknowledged. The reporter waits the budget, logs, and still
  // makes the next report.
  const hung = recordingSender(() => new Promise<void>(() => undefined));
  const l1 = logs();
  let clock = 1_000_000n;
  const r1 = new Reporter(settingsForGateway("g", "g"), () => hung, { syncBudgetMs: 20n, log: l1.log, now: () => clock });
  const started = performance.now();
  r1.onInvocation(false, 0n);
  const returned = performance.now() - started;
  assert.ok(returned < 20, `onInvocation returns at once (${returned} ms)`);
  await r1.idle();
  r1.applied();
  await r1.idle();
  clock += DEFAULT_INTERVAL_MS;
  r1.onInvocation(false, 0n);
  await r1.idle();
  assert.equal(hung.sent.length, 3);
  assert.deepEqual(l1.lines.map((l) => l.msg), ["status report not acknowledged within the sync budget"], "one line a minute");

  // Failing: every send is refused; each is counted as dropped.
  const failing = recordingSender(() => Promise.reject(new Error("broker down")));
  const l2 = logs();
  const r2 = new Reporter(settingsForGateway("g", "g"), () => failing, { syncBudgetMs: 20n, log: l2.log });
  r2.applied();
  await r2.idle();
  r2.applied();
  await r2.idle();
  assert.equal(r2.dropped, 2);
  assert.deepEqual(l2.lines, [{ msg: "status report dropped", topic: "gateway-status.v1", error: "broker down", level: "warn" }]);

  // No producer: nothing sent, the next report tries again.
  const l3 = logs();
  let tries = 0;
  const r3 = new Reporter(settingsForGateway("g", "g"), () => {
    tries += 1;
    throw new Error("no brokers");
  }, { syncBudgetMs: 20n, log: l3.log });
  r3.applied();
  await r3.idle();
  r3.applied();
  await r3.idle();
  assert.equal(tries, 2);
  assert.deepEqual(l3.lines.map((l) => [l.msg, l.error]), [["status report not sent: no producer", "no brokers"]]);
});
