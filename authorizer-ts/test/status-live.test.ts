// The status reporter against a real broker (scripts/kafka.sh), read by the Rust build:
// the TS authorizer as the Lambda runs it (runtime.ts init, the Kafka worker thread with the
// policy reader and the status producer) reports on a status topic, and `authz fleet --json`
// of the Rust CLI reads its environment: identity, revision, source, stale, and the NACK of
// a hostile record until the portal's next records are applied. The record itself is valid
// against schema/gateway-status.v1.json under its own key.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { Ajv2020 } from "ajv/dist/2020.js";

import type { EventJson } from "../src/apigw/event.js";
import type { StreamConfig } from "../src/config.js";
import { init } from "../src/runtime.js";
import { reportKey } from "../src/status/report.js";
import { CHECKPOINT_KEY } from "../src/stream/checkpoint.js";
import { TopicReader } from "../src/stream/kafka.js";
import { createTopic, KAFKA_BOOTSTRAP, produce, skipKafka } from "./kafka.js";
import { AUTHZ_BIN, skipRust } from "./rust.js";
import { bakedDoc, checkpointValue, client, eventValue, publisherKey } from "./stream-records.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
/** The worker script as compiled for the tests (dist/kafka-worker.mjs in the Lambda). */
const worker = new URL("../src/stream/worker.js", import.meta.url);
const WAIT_MS = 60_000;

interface FleetDoc {
  headline: string;
  live: number;
  reconciled: number;
  gateways: {
    gateway: string; account: string; region: string; state: string; api_ids: string[]; module_versions: string[]; authorizer_versions: string[];
    nacks: Nack[];
    environments: { environment: string; live: boolean; revision: number; source: string; stale: boolean; staleness_ms: number; caught_up: boolean; rejected_total: number; nacks: Nack[]; module_version: string; authorizer: string; log_stream: string | null }[];
  }[];
}
interface Nack { partition: number; offset: number; key?: string; revision?: number; reason: string; detail?: string; at_ms: number }

/** `authz fleet --json` (asynchronously: the authorizer under test runs on this thread). */
function fleet(statusTopic: string): Promise<{ code: number | null; doc: FleetDoc; stderr: string }> {
  if (AUTHZ_BIN === undefined || KAFKA_BOOTSTRAP === undefined) throw new Error("AUTHZ_BIN and KAFKA_BOOTSTRAP are needed");
  const child = spawn(AUTHZ_BIN, ["fleet", "--brokers", KAFKA_BOOTSTRAP, "--status-topic", statusTopic, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      try {
        resolve({ code, doc: JSON.parse(stdout) as FleetDoc, stderr });
      } catch (e) {
        reject(new Error(`authz fleet printed no JSON (${String(e)}): ${stdout}${stderr}`));
      }
    });
  });
}

const event = { version: "2.0", type: "REQUEST", routeArn: "arn:aws:execute-api:eu-west-1:1:api/$default/GET/orders", headers: {}, requestContext: { http: { method: "GET" } } } as unknown as EventJson;

test("authz fleet (Rust) reads the TS environment's report: revision, source, stale and the NACK of a hostile record", { skip: skipKafka || skipRust }, async () => {
  const portal = publisherKey("portal");
  const policyTopic = await createTopic("authz-ts-status-policy");
  const statusTopic = await createTopic("authz-ts-status");
  // A record no portal wrote: signed mode refuses it (unsigned), claiming revision 2.
  await produce(policyTopic, [[Buffer.from("client/a"), eventValue("client", "a", 2, "upsert", client("a", "active", ["s", "admin"]))]]);
  const dir = mkdtempSync(join(tmpdir(), "authz-ts-status-"));
  const policyFile = join(dir, "policy.json");
  writeFileSync(policyFile, JSON.stringify({ ...bakedDoc(1, [client("a")], [portal]), apis: [{ id: "orders", routes: [{ route: "GET /orders", scopes: ["s"] }] }] }));
  const gateway = `ts-orders-${randomBytes(3).toString("hex")}`;
  const authorizer = init({
    AUTHZ_API_ID: "orders", AUTHZ_POLICY_FILE: policyFile, AUTHZ_LOG_LEVEL: "error",
    AUTHZ_KAFKA_TOPIC: policyTopic, AUTHZ_KAFKA_BROKERS: KAFKA_BOOTSTRAP, AUTHZ_KAFKA_AUTH: "plaintext", AUTHZ_SYNC_BUDGET_MS: "200",
    AUTHZ_STATUS_TOPIC: statusTopic, AUTHZ_STATUS_INTERVAL_MS: "1000", AUTHZ_GATEWAY_NAME: gateway,
    AUTHZ_ACCOUNT_ID: "123456789012", AWS_REGION: "eu-west-1", AUTHZ_MODULE_VERSION: "1.4.0", AWS_LAMBDA_LOG_STREAM_NAME: "2026/12/02/[$LATEST]ts",
  }, worker);
  const stream = authorizer.stream;
  const reporter = authorizer.status;
  assert.ok(stream !== undefined && reporter !== undefined, "the stream and the reporter are on");
  try {
    assert.ok(await stream.waitFor(() => stream.stats.caughtUp, WAIT_MS), "caught up");
    /** Decides and reads the fleet until `done` holds for this gateway. */
    const until = async (done: (g: FleetDoc["gateways"][number]) => boolean): Promise<{ code: number | null; doc: FleetDoc; stderr: string }> => {
      const deadline = performance.now() + WAIT_MS;
      for (;;) {
        await authorizer.handle(event, "status-live");
        const r = await fleet(statusTopic);
        const g = r.doc.gateways.find((x) => x.gateway === gateway);
        if ((g !== undefined && done(g)) || performance.now() > deadline) return r;
      }
    };

    // Signed mode, no checkpoint yet: the baked policy, flagged stale, and the NACK.
    let r = await until((g) => g.state === "nacking" && g.environments[0]?.stale === true);
    assert.equal(r.stderr, "", "the Rust reader skipped no record");
    assert.equal(r.code, 1, JSON.stringify(r.doc));
    let g = r.doc.gateways.find((x) => x.gateway === gateway);
    assert.ok(g !== undefined, JSON.stringify(r.doc));
    assert.deepEqual([g.account, g.region, g.state, g.api_ids, g.module_versions, g.authorizer_versions], ["123456789012", "eu-west-1", "nacking", ["orders"], ["1.4.0"], ["typescript 0.1.0"]]);
    assert.equal(g.environments.length, 1, "one environment");
    let env = g.environments[0];
    assert.ok(env !== undefined);
    assert.deepEqual(
      { environment: env.environment, live: env.live, revision: env.revision, source: env.source, stale: env.stale, caught_up: env.caught_up, rejected_total: env.rejected_total, authorizer: env.authorizer, log_stream: env.log_stream },
      { environment: reporter.environment, live: true, revision: 1, source: "baked", stale: true, caught_up: true, rejected_total: 1, authorizer: "typescript 0.1.0", log_stream: "2026/12/02/[$LATEST]ts" },
    );
    const nack = g.nacks[0];
    assert.deepEqual([nack?.partition, nack?.offset, nack?.key, nack?.revision, nack?.reason], [0, 0, "client/a", 2, "unsigned"], JSON.stringify(g.nacks));

    // The portal signs a record and a fresh checkpoint: the stream's state is served, fresh,
    // and the rejection is no longer outstanding (records were applied after it).
    await produce(policyTopic, [
      [Buffer.from("client/b"), eventValue("client", "b", 3, "upsert", client("b"), portal)],
      [Buffer.from(CHECKPOINT_KEY), checkpointValue(portal, 3, [["client/b", 3]], new Date().toISOString())],
    ]);
    r = await until((x) => x.state === "reconciled");
    g = r.doc.gateways.find((x) => x.gateway === gateway);
    assert.ok(g !== undefined, JSON.stringify(r.doc));
    assert.equal(g.state, "reconciled", JSON.stringify(g));
    assert.equal(r.code, 0, JSON.stringify(r.doc));
    assert.equal(r.doc.headline, "reconciled 1/1 gateways at revision 3");
    env = g.environments[0];
    assert.deepEqual([env?.revision, env?.source, env?.stale, env?.rejected_total, env?.nacks], [3, "stream", false, 1, []]);
    assert.deepEqual(g.nacks, []);

    // The records on the topic: each under its own key, valid against the schema, seq rising.
    const schema = JSON.parse(readFileSync(`${repo}schema/gateway-status.v1.json`, "utf8")) as Record<string, unknown>;
    const validate = new Ajv2020({ allErrors: true, strictTypes: false }).compile(schema);
    const cfg: StreamConfig = { ...(authorizer.config.stream as StreamConfig), topic: statusTopic };
    const reader = await TopicReader.connect(cfg);
    try {
      await reader.partitions();
      const fetched = await reader.fetch(new Map([[0, 0n]]), 1000);
      const records = fetched.get(0)?.records ?? [];
      assert.ok(records.length >= 2, `${records.length} reports`);
      let seq = 0;
      for (const rec of records) {
        const value = JSON.parse(Buffer.from(rec.value ?? []).toString("utf8")) as { seq: number; account: string; region: string; gateway: string; environment: string; authorizer_build: string };
        assert.ok(validate(value), JSON.stringify(validate.errors));
        assert.equal(Buffer.from(rec.key ?? []).toString("utf8"), reportKey(value));
        assert.equal(value.authorizer_build, "typescript");
        assert.ok(value.seq > seq, "seq rises");
        seq = value.seq;
      }
    } finally {
      await reader.close();
    }
  } finally {
    reporter.stop();
    stream.stop();
  }
});
