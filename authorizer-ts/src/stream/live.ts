// The authorizer's policy consumer (authorizer/src/stream/consumer.rs): a background loop
// that reads every partition of the policy topic from offset 0 (no consumer group, no
// commits), applies records to a Replica and swaps the served view in whole once caught up.
//
// Freshness (freeze/thaw): Lambda freezes the process between invocations, and the loop with
// it. Before each decision the handler awaits ensureFresh(): if the view was confirmed caught
// up within max staleness nothing happens; otherwise it asks for a catch-up and waits at most
// the sync budget, then decides either way, flagged stale. Kafka trouble never denies and
// never delays a decision by more than the budget.

import { performance } from "node:perf_hooks";

import type { LogLevel, StreamConfig } from "../config.js";
import { levelAtLeast } from "../config.js";
import type { Out } from "../json.js";
import { emf } from "../observe.js";
import type { PolicyView } from "../policy/view.js";
import { describeWithheld, type Withheld } from "./checkpoint.js";
import type { Rejection } from "./event.js";
import type { KafkaRecordRead, Reader } from "./kafka-types.js";
import { PENDING_MAX_BYTES, Replica, type Applied, type Retried, type Served } from "./replica.js";

/** Counters and state a test or a metrics line can read. */
export interface StreamStats {
  applied: number;
  rejected: Map<Rejection, number>;
  /** Records behind the high watermarks at the last check. */
  lag: bigint;
  /** Caught up at least once since start (or since the last rebuild). */
  caughtUp: boolean;
  rebuilds: number;
  revision: bigint;
  withheld: [string, string][];
  checkpoint: bigint | undefined;
  /** Signed mode without a fresh checkpoint in this replay: the baked policy is served
   *  (decisions are flagged stale) until the portal re-signs one. */
  unanchored: boolean;
  /** Records signed by a key not trusted when read, re-applied once a publisher record
   *  introduced it (whatever the outcome; also counted in `applied` or `rejected`). */
  retried: number;
  /** Records signed by an unknown key not held for a retry (the bound was reached). */
  pendingDropped: number;
}

/** Where the loop writes: log lines and EMF records (stdout in the Lambda). */
export interface Sink {
  log(level: LogLevel, line: Record<string, Out>): void;
  metric(record: Out): void;
}

/** Who else hears of every record read and what became of it, and of every new view
 *  swapped in: the status reporter (status/reporter.ts). Called on the loop, never waited for. */
export interface StreamObserver {
  record(partition: number, offset: bigint, key: Uint8Array | null, value: Uint8Array | null, outcome: Applied): void;
  applied(): void;
}

/** How the loop reaches Kafka: the real reader, loaded lazily (its import is costly). */
export type Connect = (cfg: StreamConfig) => Promise<Reader> | Reader;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowMs = (): number => performance.now();
const unixMillis = (): bigint => BigInt(Date.now());

/** What a decision does about freshness (see {@link gate}). */
export type Gate = "fresh" | "stale-now" | "wait";

/** The state the freshness rule reads; times are performance.now() ms. */
export interface GateState {
  readonly caughtUp: boolean;
  readonly lastFresh: number | undefined;
  readonly lastFailure: number | undefined;
  readonly lastMissed: number | undefined;
}

/** The freshness rule for a decision asked at `now` (the same as the Rust build's). */
export function gate(s: GateState, now: number, maxStalenessMs: number): Gate {
  const within = (t: number | undefined): boolean => t !== undefined && now - t <= maxStalenessMs;
  if (within(s.lastFresh)) return "fresh";
  // Not caught up once since the cold start (or a rebuild): the floor is served at once, as
  // the first decision must never wait for Kafka. A check failed, or a decision sat out the
  // whole budget, moments ago: Kafka is down or slower than the budget, and waiting would
  // add the budget to every decision until it is back. The loop keeps trying; the next
  // check that succeeds clears both.
  if (!s.caughtUp || within(s.lastFailure) || within(s.lastMissed)) return "stale-now";
  return "wait";
}

/** After a decision's wait for a catch-up that did not finish in time (`fresh` false):
 *  a miss (Kafka down or slower than the budget) unless a check that succeeded meanwhile
 *  confirmed the view within the bound after all (the same as the Rust build's
 *  `wait_ended`). */
export function missedAfterWait(lastFresh: number | undefined, fresh: boolean, now: number, maxStalenessMs: number): boolean {
  const confirmed = lastFresh !== undefined && now - lastFresh <= maxStalenessMs;
  return !fresh && !confirmed;
}

/** A failed check is not repeated sooner than this, even when a decision asks. */
export const RETRY_AFTER_FAILED_CHECK_MS = 100;

export class LiveStream {
  readonly stats: StreamStats = { applied: 0, rejected: new Map(), lag: 0n, caughtUp: false, rebuilds: 0, revision: 0n, withheld: [], checkpoint: undefined, unanchored: false, retried: 0, pendingDropped: 0 };
  private served: PolicyView | undefined;
  /** When the view was last confirmed caught up with the topic (performance.now() ms). */
  private lastFresh: number | undefined;
  /** When a check last failed to reach Kafka; cleared by a successful check. */
  private lastFailure: number | undefined;
  /** When a decision last waited the whole budget without the catch-up finishing; cleared
   *  by a successful check. */
  private lastMissed: number | undefined;
  /** The replay (count of rebuilds) in which the pending bound was last logged. */
  private pendingDroppedLogged: number | undefined;
  /** A decision is waiting for a catch-up asked for at this instant. */
  private requested: number | undefined;
  private staleLogged = false;
  private stopped = false;
  private readonly started = nowMs();
  private readonly waiters = new Set<() => void>();
  private readonly maxStaleness: number;
  private readonly budget: number;
  private readonly tombstoneRetention: number;

  constructor(
    readonly cfg: StreamConfig,
    private readonly level: LogLevel,
    private readonly baked: PolicyView | undefined,
    private readonly sink: Sink,
    private readonly observer?: StreamObserver,
  ) {
    this.served = baked;
    this.stats.revision = baked?.revision ?? 0n;
    this.maxStaleness = Number(cfg.maxStalenessMs);
    this.budget = Number(cfg.syncBudgetMs);
    this.tombstoneRetention = Number(cfg.tombstoneRetentionMs);
  }

  /** The view to decide on: the baked one until the stream has caught up once. */
  view(): PolicyView | undefined {
    return this.served;
  }

  /** Starts the loop in the background; returns at once. */
  start(connect: Connect): void {
    this.run(connect).catch((e: unknown) => {
      this.sink.log("error", { msg: "policy stream stopped; serving the last known good policy", error: e instanceof Error ? e.message : String(e) });
    });
  }

  stop(): void {
    this.stopped = true;
    this.notify();
  }

  /** Before a decision: whether it is made on a view not confirmed fresh, and how stale. */
  async ensureFresh(): Promise<{ stale: boolean; stalenessMs: bigint }> {
    const asked = nowMs();
    const age = (): bigint => BigInt(Math.round(nowMs() - (this.lastFresh ?? this.started)));
    const rule = gate({ caughtUp: this.stats.caughtUp, lastFresh: this.lastFresh, lastFailure: this.lastFailure, lastMissed: this.lastMissed }, asked, this.maxStaleness);
    // Serving the baked policy for want of a fresh checkpoint is stale too.
    if (rule === "fresh") return { stale: this.stats.unanchored, stalenessMs: age() };
    this.requested = asked;
    this.notify();
    if (rule === "stale-now") return { stale: true, stalenessMs: age() };
    const fresh = await this.waitFor(() => this.lastFresh !== undefined && this.lastFresh >= asked, this.budget);
    const ended = nowMs();
    if (missedAfterWait(this.lastFresh, fresh, ended, this.maxStaleness)) this.lastMissed = ended;
    return fresh ? { stale: this.stats.unanchored, stalenessMs: 0n } : { stale: true, stalenessMs: age() };
  }

  /** Waits until `done` holds, up to `timeoutMs`; re-checked on every state change. */
  waitFor(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = (): void => {
        if (done()) finish(true);
      };
      const timer = setTimeout(() => {
        finish(done());
      }, timeoutMs);
      const finish = (v: boolean): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(v);
      };
      this.waiters.add(check);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  private async run(connect: Connect): Promise<void> {
    // Many environments start at once when traffic bursts; spread the connects.
    await sleep(Math.floor(Math.random() * 101));
    let backoff = 200;
    let reader: Reader | undefined;
    while (reader === undefined) {
      if (this.stopped) return;
      try {
        reader = await connect(this.cfg);
      } catch (e) {
        this.markUnreachable(message(e));
        this.sink.log("warn", { msg: "policy stream not connected; serving the last known good policy", error: message(e), retry_ms: BigInt(backoff) });
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
    try {
      await this.consume(reader);
    } finally {
      await reader.close().catch(() => undefined);
    }
  }

  private async consume(reader: Reader): Promise<void> {
    const replica = new Replica(this.baked, this.cfg.checkpointMaxAgeS);
    let offsets = new Map<number, bigint>();
    const highs = new Map<number, bigint>();
    // The first replay is a rebuild too: half-replayed views are never served.
    let rebuilding = true;
    let dirty = false;
    let backoff = 200;
    while (!this.stopped) {
      if (offsets.size === 0) {
        try {
          offsets = new Map((await reader.partitions()).map((p) => [p, 0n]));
          highs.clear();
        } catch (e) {
          this.markUnreachable(message(e));
          this.sink.log("debug", { msg: "policy topic metadata unavailable; retrying", topic: this.cfg.topic, error: message(e) });
          await this.afterFailedCheck(backoff);
          backoff = Math.min(backoff * 2, 5000);
          continue;
        }
      }
      // Frozen (or cut off) longer than tombstones live: deletes may have been compacted
      // away unseen, so resuming could keep a deleted entity forever. Rebuild from 0.
      const sinceFresh = nowMs() - (this.lastFresh ?? this.started);
      if (sinceFresh > this.tombstoneRetention && !rebuilding) {
        this.sink.log("warn", { msg: "view older than the topic's tombstone retention; rebuilding from offset 0", age_ms: BigInt(Math.round(sinceFresh)) });
        replica.reset();
        offsets = new Map([...offsets.keys()].map((p) => [p, 0n]));
        highs.clear();
        rebuilding = true;
        this.stats.caughtUp = false;
        this.stats.rebuilds += 1;
        this.lastFresh = undefined;
      }
      const checkedAt = nowMs();
      // A decision waits: answer at once with the watermarks instead of long-polling.
      const maxWait = this.requested !== undefined ? 0 : 100;
      let fetched;
      try {
        fetched = await reader.fetch(offsets, maxWait);
      } catch (e) {
        this.markUnreachable(message(e));
        this.sink.log("debug", { msg: "policy stream fetch failed", error: message(e) });
        await this.afterFailedCheck(backoff);
        backoff = Math.min(backoff * 2, 5000);
        continue;
      }
      backoff = 200;
      // A fetch session (KIP-227) leaves out partitions where nothing changed: their last
      // watermark still holds, as the broker just confirmed.
      for (const [partition, f] of fetched) {
        let next = offsets.get(partition) ?? 0n;
        for (const record of f.records) {
          // Delivered again (a batch fetched from before the offset asked for): applying it
          // twice would read it as a replay of itself.
          if (record.offset < next) continue;
          next = record.offset + 1n;
          const outcome = replica.apply(record.key, record.value, BigInt(Math.floor(Date.now() / 1000)));
          this.record(outcome, record);
          this.observer?.record(record.partition, record.offset, record.key, record.value, outcome);
          for (const r of replica.retried) this.recordRetried(r, record);
          this.notePendingDropped(replica);
          // In signed mode a rejected record can withhold an entity (see replica.ts).
          dirty ||= replica.signed || outcome.op !== "rejected";
        }
        offsets.set(partition, f.next);
        highs.set(partition, f.high);
      }
      let lag = 0n;
      for (const [partition, next] of offsets) {
        const high = highs.get(partition);
        // Never fetched yet: not known to be caught up.
        if (high === undefined) lag += 1n;
        else if (high > next) lag += high - next;
      }
      if (lag === 0n) {
        if (rebuilding || dirty) this.publish(replica.served(), replica.checkpoint()?.revision);
        rebuilding = false;
        dirty = false;
        this.markFresh(checkedAt);
      } else {
        this.stats.lag = lag;
        // Not mid-rebuild, which would briefly roll entities back to the baked policy.
        if (dirty && !rebuilding) {
          this.publish(replica.served(), replica.checkpoint()?.revision);
          dirty = false;
        }
      }
    }
  }

  /** The pause after a failed check: `ms`, cut short by a decision asking, but never before
   *  RETRY_AFTER_FAILED_CHECK_MS (each asking decision would otherwise retry at once). */
  private async afterFailedCheck(ms: number): Promise<void> {
    const asked = this.requested;
    await this.waitFor(() => this.stopped, RETRY_AFTER_FAILED_CHECK_MS);
    if (this.stopped || this.requested !== asked) return;
    await this.pause(ms - RETRY_AFTER_FAILED_CHECK_MS);
  }

  /** Sleeps, cut short when a decision asks for a catch-up or the loop stops. */
  private async pause(ms: number): Promise<void> {
    const asked = this.requested;
    await this.waitFor(() => this.stopped || this.requested !== asked, ms);
  }

  private publish(served: Served | undefined, checkpoint: bigint | undefined): void {
    if (served === undefined) return;
    this.served = served.view;
    this.stats.revision = served.view.revision;
    this.stats.checkpoint = checkpoint;
    const withheld: [string, string][] = served.withheld.map((w) => [w.key, w.because.code]);
    const changed = JSON.stringify(withheld) !== JSON.stringify(this.stats.withheld) || served.unanchored !== this.stats.unanchored;
    this.stats.withheld = withheld;
    this.stats.unanchored = served.unanchored;
    this.notify();
    this.observer?.applied();
    if (changed) {
      if (served.unanchored) {
        this.sink.log("error", { msg: "policy stream not served: no checkpoint younger than AUTHZ_CHECKPOINT_MAX_AGE_S; serving the baked policy until the portal re-signs one (authz publish)", topic: this.cfg.topic, max_age_s: this.cfg.checkpointMaxAgeS, checkpoint: checkpoint ?? null });
      }
      for (const line of withheldLines(this.cfg.topic, served.withheld)) this.sink.log("error", line);
      this.sink.metric(withheldMetric(unixMillis(), this.cfg.topic, served.withheld.length, served.unanchored));
    }
  }

  /** `checkedAt` is when the fetch that found no lag started: a check interrupted by a
   *  freeze must not vouch for the time after the thaw. */
  private markFresh(checkedAt: number): void {
    const wasStale = this.staleLogged;
    const first = !this.stats.caughtUp;
    this.lastFresh = checkedAt;
    if (this.requested !== undefined && this.requested <= checkedAt) this.requested = undefined;
    this.staleLogged = false;
    this.lastFailure = undefined;
    this.lastMissed = undefined;
    this.stats.lag = 0n;
    this.stats.caughtUp = true;
    this.notify();
    if (first || wasStale) {
      this.sink.log("info", { msg: first ? "policy stream caught up" : "policy view fresh again", revision: this.stats.revision, applied: BigInt(this.stats.applied), since_start_ms: BigInt(Math.round(nowMs() - this.started)) });
      this.emitMetrics(0n);
    }
  }

  private markUnreachable(error: string): void {
    this.lastFailure = nowMs();
    const staleness = BigInt(Math.round(nowMs() - (this.lastFresh ?? this.started)));
    const newlyStale = !this.staleLogged && staleness > this.cfg.maxStalenessMs;
    if (newlyStale) this.staleLogged = true;
    this.notify();
    if (newlyStale) {
      this.sink.log("warn", { msg: "policy view stale: Kafka unreachable; deciding on the last known good policy", error, staleness_ms: staleness, revision: this.stats.revision });
      this.emitMetrics(staleness);
    }
  }

  private record(outcome: Applied, r: KafkaRecordRead): void {
    if (outcome.op === "rejected") {
      this.stats.rejected.set(outcome.reason, (this.stats.rejected.get(outcome.reason) ?? 0) + 1);
      this.sink.log("warn", { msg: "policy event rejected", topic: this.cfg.topic, partition: BigInt(r.partition), offset: r.offset, reason: outcome.reason, detail: outcome.detail });
      if (levelAtLeast(this.level, "info")) this.sink.metric(emf(unixMillis(), [["Topic", this.cfg.topic], ["Rejection", outcome.reason]], [["PolicyEventsRejected", 1, "Count"]]));
      return;
    }
    this.stats.applied += 1;
    const [kind, id] = outcome.op === "checkpoint" ? ["checkpoint", "state"] : [outcome.kind, outcome.id];
    this.sink.log("debug", { msg: "policy event applied", partition: BigInt(r.partition), offset: r.offset, kind, id });
  }

  /** A record held back for an unknown kid and re-applied when `learnedAt` introduced a key. */
  private recordRetried(r: Retried, learnedAt: KafkaRecordRead): void {
    this.stats.retried += 1;
    let verdict = "applied";
    let reason: string | null = null;
    if (r.outcome.op === "rejected") {
      this.stats.rejected.set(r.outcome.reason, (this.stats.rejected.get(r.outcome.reason) ?? 0) + 1);
      verdict = "rejected";
      reason = r.outcome.reason;
    } else this.stats.applied += 1;
    this.sink.log("info", { msg: "policy event retried: its signing key was introduced later in the topic", topic: this.cfg.topic, key: r.key, position: BigInt(r.position), learned_at: { partition: BigInt(learnedAt.partition), offset: learnedAt.offset }, verdict, reason });
  }

  /** Logs the first record in a replay not held for a retry because of the bound. */
  private notePendingDropped(replica: Replica): void {
    const dropped = replica.pendingDropped;
    if (dropped === this.stats.pendingDropped) return;
    this.stats.pendingDropped = dropped;
    if (this.pendingDroppedLogged === this.stats.rebuilds) return;
    this.pendingDroppedLogged = this.stats.rebuilds;
    this.sink.log("warn", { msg: "records signed by an unknown key exceed the bound held for a retry; the rest are rejected as forged (suspect) in this replay", topic: this.cfg.topic, max_bytes: BigInt(PENDING_MAX_BYTES), dropped: BigInt(dropped) });
  }

  private emitMetrics(stalenessMs: bigint): void {
    if (!levelAtLeast(this.level, "info")) return;
    const rejected = [...this.stats.rejected.values()].reduce((a, b) => a + b, 0);
    this.sink.metric(emf(unixMillis(), [["Topic", this.cfg.topic]], [
      ["PolicyRevision", Number(this.stats.revision), "None"],
      ["PolicyStalenessMs", Number(stalenessMs), "Milliseconds"],
      ["PolicyLag", Number(this.stats.lag), "Count"],
      ["PolicyEventsApplied", this.stats.applied, "Count"],
      ["PolicyEventsRejectedTotal", rejected, "Count"],
    ]));
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** One log line per withheld entity: which, why, and what it means for decisions. */
export function withheldLines(topic: string, withheld: readonly Withheld[]): Record<string, Out>[] {
  return withheld.map((w) => ({ msg: "policy entity withheld: its signed record is missing; decisions that need it deny", topic, key: w.key, reason: w.because.code, detail: describeWithheld(w.because) }));
}

/** The `PolicyEntitiesWithheld` and `PolicyStreamUnanchored` gauges (0 once the portal has
 *  re-asserted the state). */
export function withheldMetric(timestampMs: bigint, topic: string, count: number, unanchored: boolean): Out {
  return emf(timestampMs, [["Topic", topic]], [
    ["PolicyEntitiesWithheld", count, "Count"],
    ["PolicyStreamUnanchored", unanchored ? 1 : 0, "Count"],
  ]);
}
