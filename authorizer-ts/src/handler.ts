// The Lambda function (nodejs22.x): init once (configuration, baked policy), then one
// decision per invocation, with the Rust build's log line and EMF metrics
// (authorizer/src/bin/bootstrap.rs, runtime.rs). The policy stream is not in this build yet:
// it decides on the baked policy, the floor.

import { readFileSync } from "node:fs";

import type { EventJson } from "./apigw/event.js";
import { handleEvent } from "./apigw/response.js";
import { configFromEnv, levelAtLeast, type Config, type LogLevel } from "./config.js";
import { compact, toJsonSafe, type Out } from "./json.js";
import { decisionLog, decisionMetrics } from "./observe.js";
import { loadPolicy } from "./policy/load.js";
import { PolicyErrors } from "./policy/validate.js";
import type { PolicyView } from "./policy/view.js";

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
  ) {}

  /** Handles one authorizer event: decision, log line, metrics, response. */
  handle(event: EventJson, requestId: string): Out {
    const started = process.hrtime.bigint();
    const nowMs = unixMillis();
    const outcome = handleEvent(this.view, this.config.apiId, event, Number(nowMs / 1000n), { stale: false });
    const latencyUs = (process.hrtime.bigint() - started) / 1000n;
    if (levelAtLeast(this.config.logLevel, "info")) {
      process.stdout.write(`${compact(decisionLog(outcome, this.config.apiId, latencyUs, false, requestId))}\n${compact(decisionMetrics(outcome, this.config.apiId, nowMs, 0n, false))}\n`);
    }
    return outcome.response;
  }
}

/** Init, as the Lambda runtime runs this module once per execution environment. */
export function init(env: Readonly<Record<string, string | undefined>>): Authorizer {
  const { config, problems } = configFromEnv(env);
  for (const problem of problems) log(config.logLevel, "error", { msg: "configuration problem", problem });
  return new Authorizer(config, loadBaked(config));
}

const authorizer = init(process.env);

/** The Lambda entry point (`handler.handler`). */
export function handler(event: unknown, context?: { awsRequestId?: string }): unknown {
  return toJsonSafe(authorizer.handle(event as EventJson, context?.awsRequestId ?? ""));
}
