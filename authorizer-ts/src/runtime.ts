// The Lambda function's init and decisions (authorizer/src/bin/bootstrap.rs, runtime.rs):
// init once (configuration, baked policy), then one decision per invocation, with the Rust
// build's log line and EMF metrics. With AUTHZ_KAFKA_* set, the policy stream
// (stream/live.ts) starts in the background and the view it serves replaces the baked one;
// with AUTHZ_STATUS_TOPIC also, the status reporter (status/reporter.ts, docs/fleet.md).
// handler.ts is the entry point; tests init here with a worker script of their own.

import { readFileSync } from "node:fs";

import type { EventJson } from "./apigw/event.js";
import { handleEvent } from "./apigw/response.js";
import { configFromEnv, levelAtLeast, type Config, type LogLevel, type StreamConfig } from "./config.js";
import { compact, type Out } from "./json.js";
import { decisionLog, decisionMetrics } from "./observe.js";
import { loadPolicy } from "./policy/load.js";
import { PolicyErrors } from "./policy/validate.js";
import type { PolicyView } from "./policy/view.js";
import { Reporter, statusSettings } from "./status/reporter.js";
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
    /** The status reporter, told of each decision's freshness (docs/fleet.md). */
    readonly status?: Reporter,
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
    this.status?.onInvocation(stale, stalenessMs);
    return outcome.response;
  }
}

/** Init, as the Lambda runtime runs the handler module once per execution environment.
 *  `kafkaWorker` is the Kafka worker's script (dist/kafka-worker.mjs beside the handler). */
export function init(env: Readonly<Record<string, string | undefined>>, kafkaWorker: URL): Authorizer {
  const { config, problems } = configFromEnv(env);
  for (const problem of problems) log(config.logLevel, "error", { msg: "configuration problem", problem });
  const { settings, problems: statusProblems } = statusSettings(env, config);
  for (const problem of statusProblems) log(config.logLevel, "error", { msg: "configuration problem", problem });
  const baked = loadBaked(config);
  if (config.stream === undefined) return new Authorizer(config, baked);
  const streamConfig = config.stream;
  const sink = { log: (level: LogLevel, line: Record<string, Out>) => { log(config.logLevel, level, line); } };
  // The Kafka client runs on a worker thread: its import is costly (BENCHMARKS.md) and must
  // not hold up decisions; the baked policy serves until the stream has caught up. The
  // status producer shares the worker (and the import).
  let worker: WorkerReader | undefined;
  const kafka = (cfg: StreamConfig): WorkerReader => (worker ??= WorkerReader.start(cfg, kafkaWorker));
  const reporter = settings === undefined ? undefined : new Reporter(settings, () => kafka(streamConfig), { syncBudgetMs: streamConfig.syncBudgetMs, log: sink.log });
  const stream = new LiveStream(streamConfig, config.logLevel, baked, {
    ...sink,
    metric: (record) => process.stdout.write(`${compact(record)}\n`),
  }, reporter);
  reporter?.watch(() => ({ revision: stream.view()?.revision, caughtUp: stream.stats.caughtUp }));
  stream.start(kafka);
  return new Authorizer(config, baked, stream, reporter);
}
