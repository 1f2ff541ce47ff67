// The environment's side of the status topic (authorizer/src/status/reporter.rs): a report
// after every apply and on invocations at a bounded rate, sent by a producer of its own.
//
// The decision path only calls Reporter.onInvocation(): a few comparisons, and when a report
// is due a flag and a setImmediate. Building and encoding happen in a task of their own,
// after the decision has been answered; sending happens on the Kafka worker thread (the
// policy reader's), and the reporter waits at most the sync budget for an acknowledgement
// before it makes the next report. Nothing here reads the status topic.

import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";

import type { Config, LogLevel } from "../config.js";
import type { Out } from "../json.js";
import type { StreamObserver } from "../stream/live.js";
import type { Applied } from "../stream/replica.js";
import { rustTrim } from "../text.js";
import { buildReport, encode, labelOr, Ledger, MAX_LOG_STREAM, printable, reportKey, STATUS_TOPIC, type Identity, type Trigger } from "./report.js";

/** The default bound on invocation reports: at most one a minute. */
export const DEFAULT_INTERVAL_MS = 60_000n;
/** A change of the stale flag is reported at most this often. */
export const STALE_CHANGE_GAP_MS = 1_000n;
/** `authorizer_build` of this build's reports. */
export const AUTHORIZER_BUILD = "typescript";
/** `authorizer_version`: package.json's `version` (a test keeps them equal). */
export const AUTHORIZER_VERSION = "0.1.0";

/** Where and as whom to report. */
export interface StatusSettings {
  readonly topic: string;
  readonly intervalMs: bigint;
  readonly identity: Identity;
}

const unixMillis = (): bigint => BigInt(Date.now());

/** 128 random bits as 32 lowercase hex digits. */
export function newEnvironmentId(): string {
  return randomBytes(16).toString("hex");
}

/**
 * Reads `AUTHZ_STATUS_TOPIC` (unset: no reports), `AUTHZ_STATUS_INTERVAL_MS`,
 * `AUTHZ_GATEWAY_NAME`, `AUTHZ_ACCOUNT_ID`, `AUTHZ_MODULE_VERSION` and Lambda's own
 * `AWS_REGION`, `AWS_LAMBDA_FUNCTION_NAME`, `AWS_LAMBDA_LOG_STREAM_NAME`, with the Rust
 * build's defaults and problems (none is fatal: a bad value falls back to its default).
 */
export function statusSettings(vars: Readonly<Record<string, string | undefined>>, config: Pick<Config, "apiId" | "stream">): { settings: StatusSettings | undefined; problems: string[] } {
  const get = (k: string): string | undefined => {
    const v = vars[k];
    if (v === undefined) return undefined;
    const t = rustTrim(v);
    return t === "" ? undefined : t;
  };
  const problems: string[] = [];
  const topic = get("AUTHZ_STATUS_TOPIC");
  if (topic === undefined) return { settings: undefined, problems };
  if (config.stream === undefined) {
    problems.push("AUTHZ_STATUS_TOPIC is set without a policy stream (AUTHZ_KAFKA_TOPIC and brokers); no status reports");
    return { settings: undefined, problems };
  }
  let intervalMs = DEFAULT_INTERVAL_MS;
  const intervalText = get("AUTHZ_STATUS_INTERVAL_MS");
  if (intervalText !== undefined) {
    // Rust's `str::parse::<u64>`: digits with an optional `+`, at most u64::MAX.
    const ms = /^\+?\d+$/.test(intervalText) && BigInt(intervalText) < 1n << 64n ? BigInt(intervalText) : undefined;
    if (ms !== undefined && ms >= 1000n) intervalMs = ms;
    else problems.push(`AUTHZ_STATUS_INTERVAL_MS is not a whole number of milliseconds of at least 1000; using ${DEFAULT_INTERVAL_MS}`);
  }
  // Readers count an environment silent for two intervals (+ 30 s) as idle, trusting that it
  // re-syncs before its next decision; it does only when its view is then older than the
  // staleness bound (docs/fleet.md, "Reading the fleet").
  if (config.stream.maxStalenessMs >= intervalMs) {
    problems.push(`AUTHZ_MAX_STALENESS_MS (${config.stream.maxStalenessMs}) is not below AUTHZ_STATUS_INTERVAL_MS (${intervalMs}): an environment the fleet view counts as idle could serve its old view unflagged after a thaw; lower the staleness bound or raise the interval`);
  }
  for (const name of ["AUTHZ_GATEWAY_NAME", "AUTHZ_ACCOUNT_ID", "AUTHZ_MODULE_VERSION", "AWS_REGION"]) {
    const v = get(name);
    if (v !== undefined && labelOr(v, "") === "") problems.push(`${name} is not 1 to 128 of A-Z a-z 0-9 . _ : @ + -; reporting a default instead`);
  }
  const api = labelOr(config.apiId, "unknown");
  const named = get("AUTHZ_GATEWAY_NAME");
  const gateway = labelOr(named !== undefined && labelOr(named, "") !== "" ? named : get("AWS_LAMBDA_FUNCTION_NAME"), api);
  const logStream = get("AWS_LAMBDA_LOG_STREAM_NAME");
  return {
    settings: {
      topic,
      intervalMs,
      identity: {
        gateway,
        apiId: api,
        account: labelOr(get("AUTHZ_ACCOUNT_ID"), "unknown"),
        region: labelOr(get("AWS_REGION"), "unknown"),
        moduleVersion: labelOr(get("AUTHZ_MODULE_VERSION"), "unknown"),
        authorizerBuild: AUTHORIZER_BUILD,
        authorizerVersion: AUTHORIZER_VERSION,
        environment: newEnvironmentId(),
        logStream: logStream === undefined ? undefined : printable(logStream, MAX_LOG_STREAM),
        startedAtMs: unixMillis(),
      },
    },
    problems,
  };
}

/** Settings for `gateway` with defaults elsewhere (tests and tools). */
export function settingsForGateway(gateway: string, apiId: string): StatusSettings {
  return {
    topic: STATUS_TOPIC,
    intervalMs: DEFAULT_INTERVAL_MS,
    identity: {
      gateway: labelOr(gateway, "unknown"), apiId: labelOr(apiId, "unknown"), account: "unknown", region: "unknown", moduleVersion: "unknown",
      authorizerBuild: AUTHORIZER_BUILD, authorizerVersion: AUTHORIZER_VERSION, environment: newEnvironmentId(), logStream: undefined, startedAtMs: unixMillis(),
    },
  };
}

/** Where reports go: the status producer (on the Kafka worker thread in the Lambda). */
export interface StatusSender {
  /** Hands one record to the producer; resolves once the broker acknowledged it, rejects
   *  when it was dropped or could not be delivered. */
  send(topic: string, key: string, value: string): Promise<void>;
}

/** What the reports state about the view: read when a report is made. */
export type ViewSource = () => { readonly revision: bigint | undefined; readonly caughtUp: boolean };

export interface ReporterOptions {
  readonly syncBudgetMs: bigint;
  /** Warnings (at most one a minute): a report not sent, dropped or not acknowledged in time. */
  readonly log: (level: LogLevel, line: Record<string, Out>) => void;
  /** The clock reports are dated by (Unix ms); tests set it. */
  readonly now?: () => bigint;
}

/** A running reporter: the stream's observer, told of each decision's freshness. */
export class Reporter implements StreamObserver {
  private readonly ledger = new Ledger();
  /** A report asked for and not made yet; an apply report says all an invocation one would. */
  private pending: Trigger | undefined;
  private seq = 0n;
  /** When the last report was made (Unix ms); invocation reports wait for the interval. */
  private lastReportMs = 0n;
  /** The stale flag of the last decision, and the one last reported. */
  private stale = false;
  private reportedStale = false;
  private stalenessMs = 0n;
  private running = false;
  private current: Promise<void> = Promise.resolve();
  private stopped = false;
  private lastProblem: number | undefined;
  private source: ViewSource = () => ({ revision: undefined, caughtUp: false });
  private readonly now: () => bigint;
  private readonly budgetMs: number;
  /** Reports acknowledged by the broker. */
  sent = 0;
  /** Reports the producer refused or could not deliver. */
  dropped = 0;

  /** `sender` is called on the first report: the producer is created on first use. */
  constructor(
    readonly settings: StatusSettings,
    private readonly sender: () => StatusSender,
    private readonly options: ReporterOptions,
  ) {
    this.now = options.now ?? unixMillis;
    this.budgetMs = Math.max(1, Number(options.syncBudgetMs));
  }

  /** The environment id this reporter reports as. */
  get environment(): string {
    return this.settings.identity.environment;
  }

  /** Where the revision in force and the caught-up flag come from (the live stream). */
  watch(source: ViewSource): void {
    this.source = source;
  }

  /** Called after each decision: asks for a report when the last one is older than the
   *  interval, or when the stale flag changed (at most once a second). Never waits. */
  onInvocation(stale: boolean, stalenessMs: bigint): void {
    this.stale = stale;
    this.stalenessMs = stalenessMs;
    const now = this.now();
    const since = now > this.lastReportMs ? now - this.lastReportMs : 0n;
    const changed = stale !== this.reportedStale;
    if (since < this.settings.intervalMs && !(changed && since >= STALE_CHANGE_GAP_MS)) return;
    this.lastReportMs = now;
    this.request("invocation");
  }

  record(partition: number, offset: bigint, key: Uint8Array | null, value: Uint8Array | null, outcome: Applied): void {
    this.ledger.record(partition, offset, key, value, outcome, this.now());
  }

  applied(): void {
    this.request("apply");
  }

  /** The trigger of the report asked for and not made yet (tests). */
  get asked(): Trigger | undefined {
    return this.pending;
  }

  /** Stops reporting (tests; a Lambda just ends). */
  stop(): void {
    this.stopped = true;
  }

  private request(trigger: Trigger): void {
    if (this.pending !== "apply") this.pending = trigger;
    if (this.running || this.stopped) return;
    this.running = true;
    // After the decision in hand has been answered: the report is no part of it.
    this.current = new Promise((resolve) => {
      setImmediate(() => {
        this.run().then(resolve, (e: unknown) => {
          this.problem("status report failed", e);
          resolve();
        });
      });
    });
  }

  /** Resolves once every report asked for so far has been made (tests). */
  idle(): Promise<void> {
    return this.current;
  }

  private async run(): Promise<void> {
    try {
      while (this.pending !== undefined && !this.stopped) {
        const trigger = this.pending;
        this.pending = undefined;
        this.seq += 1n;
        const stale = this.stale;
        const { revision, caughtUp } = this.source();
        const now = this.now();
        const report = buildReport(this.settings.identity, this.ledger, { revision, caughtUp, stale, stalenessMs: this.stalenessMs }, trigger, this.seq, this.settings.intervalMs, now);
        if (now > this.lastReportMs) this.lastReportMs = now;
        this.reportedStale = stale;
        let sender: StatusSender;
        try {
          sender = this.sender();
        } catch (e) {
          this.problem("status report not sent: no producer", e);
          continue;
        }
        const acked = sender.send(this.settings.topic, reportKey(report), encode(report)).then(
          () => {
            this.sent += 1;
            return true;
          },
          (e: unknown) => {
            this.dropped += 1;
            this.problem("status report dropped", e);
            return true;
          },
        );
        // Wait for the acknowledgement within the sync budget; what is not acknowledged by
        // then stays with the producer (and is delivered after a thaw).
        if (!(await within(acked, this.budgetMs))) this.problem("status report not acknowledged within the sync budget", "timed out");
      }
    } finally {
      this.running = false;
    }
  }

  private problem(msg: string, error: unknown): void {
    // At most one line a minute: a broker outage must not flood the logs.
    const t = performance.now();
    if (this.lastProblem !== undefined && t - this.lastProblem < 60_000) return;
    this.lastProblem = t;
    this.options.log("warn", { msg, topic: this.settings.topic, error: error instanceof Error ? error.message : String(error) });
  }
}

/** `done`'s value, or `false` after `ms` if it has not settled by then. */
function within(done: Promise<boolean>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => {
      resolve(false);
    }, ms);
  });
  return Promise.race([done, late]).finally(() => {
    clearTimeout(timer);
  });
}
