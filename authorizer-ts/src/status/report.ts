// One environment's status report (schema/gateway-status.v1.json, docs/fleet.md): the
// record, its key on the status topic, its encoding, and how it is built from what the
// authorizer knows (its Ledger of applied and rejected policy records). Pure; the port of
// authorizer/src/status/report.rs, byte for byte on the wire. This build only writes the
// status topic, so there is no decoder here (`authz fleet` reads it).

import { decodeB64url } from "../b64.js";
import { get, JsonNumber, parseExact, utf8, type Json } from "../json.js";
import type { Rejection } from "../stream/event.js";
import type { Applied } from "../stream/replica.js";
import { rustTrim } from "../text.js";

/** The `schema` of every v1 status report. */
export const STATUS_SCHEMA = "gateway-status/v1";
/** The status topic's default name. */
export const STATUS_TOPIC = "gateway-status.v1";
/** How many rejections a report carries (the most recent ones). */
export const MAX_REJECTIONS = 16;
/** The largest status record value a reader accepts. */
export const MAX_REPORT_BYTES = 64 * 1024;
/** Keys and details of rejections are cut to this many bytes. */
export const MAX_TEXT = 256;
export const MAX_LOG_STREAM = 512;
const MAX_PARTITIONS = 256;

/** Where the view in force comes from: no policy, the baked document only, or the baked
 *  document with policy events applied. */
export type Source = "none" | "baked" | "stream";

/** Why the report was made: a new view was swapped in, or a decision was made and the last
 *  report was older than the interval. */
export type Trigger = "apply" | "invocation";

export interface PartitionOffset {
  readonly partition: number;
  /** Offset of the last record applied on this partition. */
  readonly applied: bigint;
}

/** A policy record the environment refused: its NACK. */
export interface RejectedEvent {
  readonly partition: number;
  readonly offset: bigint;
  readonly key: string | undefined;
  /** The revision the record claims, unverified. */
  readonly revision: bigint | undefined;
  readonly reason: Rejection;
  readonly detail: string | undefined;
  readonly atMs: bigint;
}

/** Who reports: fixed for an environment's life. */
export interface Identity {
  readonly gateway: string;
  readonly apiId: string;
  readonly account: string;
  readonly region: string;
  readonly moduleVersion: string;
  readonly authorizerBuild: string;
  readonly authorizerVersion: string;
  readonly environment: string;
  readonly logStream: string | undefined;
  readonly startedAtMs: bigint;
}

export interface StatusReport extends Identity {
  readonly schema: string;
  readonly reportedAtMs: bigint;
  readonly seq: bigint;
  readonly trigger: Trigger;
  readonly reportIntervalMs: bigint;
  readonly revision: bigint;
  readonly source: Source;
  readonly offsets: readonly PartitionOffset[];
  readonly caughtUp: boolean;
  readonly stale: boolean;
  readonly stalenessMs: bigint;
  readonly rejectedTotal: bigint;
  readonly rejected: readonly RejectedEvent[];
}

/** The record key: `<account>/<region>/<gateway>/<environment>`. */
export function reportKey(r: Pick<Identity, "account" | "region" | "gateway" | "environment">): string {
  return `${r.account}/${r.region}/${r.gateway}/${r.environment}`;
}

const LABEL = /^[A-Za-z0-9._:@+-]{1,128}$/;

/** 1 to 128 of A-Z a-z 0-9 . _ : @ + - (what the schema's `label` allows). */
export function isLabel(s: string): boolean {
  return LABEL.test(s);
}

/** `bytes` with every byte outside printable ASCII replaced by `?`, cut to `max` bytes: record
 *  keys and details come from whoever wrote the policy topic and end up on terminals. */
export function printable(bytes: Uint8Array | string, max: number): string {
  const b = typeof bytes === "string" ? Buffer.from(bytes, "utf8") : bytes;
  const n = Math.min(b.length, max);
  let out = "";
  for (let i = 0; i < n; i++) {
    const c = b[i] ?? 0;
    out += c >= 0x20 && c <= 0x7e ? String.fromCharCode(c) : "?";
  }
  return out;
}

/** A label for the report (identity fields): `value` when it is one, else `fallback`. */
export function labelOr(value: string | undefined, fallback: string): string {
  const v = value === undefined ? undefined : rustTrim(value);
  return v !== undefined && isLabel(v) ? v : fallback;
}

/** The revision a policy record claims, read without trusting it: from the JSON event, or
 *  from the payload of a compact JWS. `undefined` when neither reads. */
export function claimedRevision(value: Uint8Array): bigint | undefined {
  const decoded = utf8(value);
  if (decoded === undefined) return undefined;
  const text = rustTrim(decoded);
  let json: Json;
  try {
    if (text.startsWith("{")) json = parseExact(text);
    else {
      const parts = text.split(".");
      if (parts.length !== 3) return undefined;
      const payload = decodeB64url(parts[1] ?? "");
      const payloadText = payload === undefined ? undefined : utf8(payload);
      if (payloadText === undefined) return undefined;
      json = parseExact(payloadText);
    }
  } catch {
    return undefined;
  }
  const revision = get(json, "revision");
  return revision instanceof JsonNumber && revision.kind === "u64" ? revision.int : undefined;
}

/** What an environment remembers of the policy records it read, for its reports. */
export class Ledger {
  private readonly applied = new Map<number, bigint>();
  private readonly rejectedEvents: RejectedEvent[] = [];
  private rejectedCount = 0n;
  private streamed_ = false;

  /** Notes one policy record and what the replica made of it. */
  record(partition: number, offset: bigint, key: Uint8Array | null, value: Uint8Array | null, outcome: Applied, nowMs: bigint): void {
    if (outcome.op === "rejected") {
      this.rejectedCount += 1n;
      if (this.rejectedEvents.length === MAX_REJECTIONS) this.rejectedEvents.shift();
      this.rejectedEvents.push({
        partition,
        offset,
        key: key === null ? undefined : printable(key, MAX_TEXT),
        revision: value === null ? undefined : claimedRevision(value),
        reason: outcome.reason,
        detail: printable(outcome.detail, MAX_TEXT),
        atMs: nowMs,
      });
      return;
    }
    this.streamed_ = true;
    const held = this.applied.get(partition);
    if (held === undefined || offset > held) this.applied.set(partition, offset);
  }

  /** A policy event was applied (the view is more than the baked document). */
  get streamed(): boolean {
    return this.streamed_;
  }

  /** Per partition, in partition order, the offset of the last record applied. */
  offsets(): PartitionOffset[] {
    return [...this.applied]
      .sort(([a], [b]) => a - b)
      .slice(0, MAX_PARTITIONS)
      .map(([partition, applied]) => ({ partition, applied }));
  }

  /** The most recent rejections, oldest first. */
  rejected(): RejectedEvent[] {
    return [...this.rejectedEvents];
  }

  get rejectedTotal(): bigint {
    return this.rejectedCount;
  }
}

/** The state of the view as a report states it. */
export interface ViewState {
  /** The revision of the view in force; `undefined` when there is no policy. */
  readonly revision: bigint | undefined;
  readonly caughtUp: boolean;
  readonly stale: boolean;
  readonly stalenessMs: bigint;
}

export const NO_VIEW: ViewState = { revision: undefined, caughtUp: false, stale: false, stalenessMs: 0n };

/** Builds the report an environment sends. */
export function buildReport(identity: Identity, ledger: Ledger, view: ViewState, trigger: Trigger, seq: bigint, reportIntervalMs: bigint, nowMs: bigint): StatusReport {
  const source: Source = view.revision === undefined ? "none" : ledger.streamed ? "stream" : "baked";
  return {
    schema: STATUS_SCHEMA,
    ...identity,
    reportedAtMs: nowMs,
    seq: seq > 1n ? seq : 1n,
    trigger,
    reportIntervalMs,
    revision: view.revision ?? 0n,
    source,
    offsets: ledger.offsets(),
    caughtUp: view.caughtUp,
    stale: view.stale,
    stalenessMs: view.stalenessMs,
    rejectedTotal: ledger.rejectedTotal,
    rejected: ledger.rejected(),
  };
}

// ---- encoding -------------------------------------------------------------------------

/** Members in the order given, those `undefined` left out (serde's `skip_serializing_if`).
 *  Values are already JSON text. */
function object(members: readonly (readonly [string, string | undefined])[]): string {
  const parts: string[] = [];
  for (const [name, value] of members) if (value !== undefined) parts.push(`${JSON.stringify(name)}:${value}`);
  return `{${parts.join(",")}}`;
}

/** A string as serde_json writes it (the same escapes as JSON.stringify for well-formed text). */
const str = (s: string | undefined): string | undefined => (s === undefined ? undefined : JSON.stringify(s));
const int = (n: bigint | number | undefined): string | undefined => (n === undefined ? undefined : n.toString());

/** The record value of a report: compact JSON with the members in the Rust struct's order,
 *  so both builds write the same bytes for the same state. */
export function encode(r: StatusReport): string {
  return object([
    ["schema", str(r.schema)],
    ["gateway", str(r.gateway)],
    ["api_id", str(r.apiId)],
    ["account", str(r.account)],
    ["region", str(r.region)],
    ["module_version", str(r.moduleVersion)],
    ["authorizer_build", str(r.authorizerBuild)],
    ["authorizer_version", str(r.authorizerVersion)],
    ["environment", str(r.environment)],
    ["log_stream", str(r.logStream)],
    ["started_at_ms", int(r.startedAtMs)],
    ["reported_at_ms", int(r.reportedAtMs)],
    ["seq", int(r.seq)],
    ["trigger", str(r.trigger)],
    ["report_interval_ms", int(r.reportIntervalMs)],
    ["revision", int(r.revision)],
    ["source", str(r.source)],
    ["offsets", `[${r.offsets.map((o) => object([["partition", int(o.partition)], ["applied", int(o.applied)]])).join(",")}]`],
    ["caught_up", String(r.caughtUp)],
    ["stale", String(r.stale)],
    ["staleness_ms", int(r.stalenessMs)],
    ["rejected_total", int(r.rejectedTotal)],
    ["rejected", `[${r.rejected.map(encodeRejected).join(",")}]`],
  ]);
}

function encodeRejected(e: RejectedEvent): string {
  return object([
    ["partition", int(e.partition)],
    ["offset", int(e.offset)],
    ["key", str(e.key)],
    ["revision", int(e.revision)],
    ["reason", str(e.reason)],
    ["detail", str(e.detail)],
    ["at_ms", int(e.atMs)],
  ]);
}
