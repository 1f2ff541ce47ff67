// The Lambda function (nodejs22.x): init once (configuration, baked policy), then one
// decision per invocation, with the Rust build's log line and EMF metrics
// (authorizer/src/bin/bootstrap.rs, runtime.rs). With AUTHZ_KAFKA_* set, the policy stream
// (stream/live.ts) starts in the background and the view it serves replaces the baked one.

import { readFileSync } from "node:fs";

import type { EventJson } from "./apigw/event.js";
import { handleEvent } from "./apigw/response.js";
import { configFromEnv, levelAtLeast, type Config, type LogLevel } from "./config.js";
import { compact, toJsonSafe, type Out } from "./json.js";
import { decisionLog, decisionMetrics } from "./observe.js";
import { loadPolicy } from "./policy/load.js";
import { PolicyErrors } from "./policy/validate.js";
import type { PolicyView } from "./policy/view.js";
import { LiveStream } from "./stream/live.js";
import { WorkerReader } from "./stream/worker-reader.js";

function unixMillis(): bigint {
  return BigInt(Date.now());
}

/** One log line at `level`, if the configured level lets it through. */
export function log(config: LogLevel, level: LogLevel, line: Record<string, Out>): void {
  if (!levelAtLeast(config, level)) return;
  process.stdout.write(`${compact({ ts: unixMillis(), ...line, level })}\n`);
}

export function loadBaked(config: Config): PolicyView | undefined {
  let text: string;
  try {
    text = readFileSync(config.policyFile, "utf8");
  } catch (e) {
    log(config.logLevel, "error", { msg: "baked policy unreadable; denying with no_policy until a policy arrives", file: config.policyFile, error: e instanceof Error ? e.message : String(e), fix: "deploy the policy layer or set AUTHZ_POLICY_FILE" });
    return undefined;
  }
  try {
    const view = loadPolicy(text);
    const entities: Record<string, Out> = {};
    for (const [k, n] of view.counts()) entities[`${k}s`] = BigInt(n);
    log(config.logLevel, "info", { msg: "baked policy loaded", file: config.policyFile, revision: view.revision, entities });
    return view;
  } catch (e) {
    if (!(e instanceof PolicyErrors)) throw e;
    log(config.logLevel, "error", { msg: "baked policy invalid; denying with no_policy until a valid policy arrives", file: config.policyFile, errors: e.errors.map((x) => `${x.path}: ${x.message}`) });
    return undefined;
  }
}

export class Authorizer {
  constructor(
    readonly config: Config,
    private readonly view: PolicyView | undefined,
    /** The policy stream, when configured: its view replaces the baked one. */
    readonly stream?: LiveStream,
  ) {}

  /** Handles one authorizer event: freshness check, decision, log line, metrics, response. */
  async handle(event: EventJson, requestId: string): Promise<Out> {
    const started = process.hrtime.bigint();
    const { stale, stalenessMs } = this.stream === undefined ? { stale: false, stalenessMs: 0n } : await this.stream.ensureFresh();
    const view = this.stream === undefined ? this.view : this.stream.view();
    const nowMs = unixMillis();
    const outcome = handleEvent(view, this.config.apiId, event, Number(nowMs / 1000n), { stale });
    const latencyUs = (process.hrtime.bigint() - started) / 1000n;
    if (levelAtLeast(this.config.logLevel, "info")) {
      process.stdout.write(`${compact(decisionLog(outcome, this.config.apiId, latencyUs, stale, requestId))}\n${compact(decisionMetrics(outcome, this.config.apiId, nowMs, stalenessMs, stale))}\n`);
    }
    return outcome.response;
  }
}

/** Init, as the Lambda runtime runs this module once per execution environment. */
export function init(env: Readonly<Record<string, string | undefined>>): Authorizer {
  const { config, problems } = configFromEnv(env);
  for (const problem of problems) log(config.logLevel, "error", { msg: "configuration problem", problem });
  const baked = loadBaked(config);
  if (config.stream === undefined) return new Authorizer(config, baked);
  const stream = new LiveStream(config.stream, config.logLevel, baked, {
    log: (level, line) => { log(config.logLevel, level, line); },
    metric: (record) => process.stdout.write(`${compact(record)}\n`),
  });
  // The Kafka client runs on a worker thread: its import is costly (BENCHMARKS.md) and must
  // not hold up decisions; the baked policy serves until the stream has caught up.
  stream.start((cfg) => WorkerReader.start(cfg, new URL("./kafka-worker.mjs", import.meta.url)));
  return new Authorizer(config, baked, stream);
}

const authorizer = init(process.env);

/** The Lambda entry point (`handler.handler`). */
export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<unknown> {
  return toJsonSafe(await authorizer.handle(event as EventJson, context?.awsRequestId ?? ""));
}
