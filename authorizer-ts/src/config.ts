// The Lambda's configuration from the same AUTHZ_* variables as the Rust build
// (authorizer/src/config.rs), with the same problems reported for bad values.

import { DEFAULT_CHECKPOINT_MAX_AGE_S } from "./stream/replica.js";

export type LogLevel = "error" | "warn" | "info" | "debug";
const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export interface Config {
  readonly apiId: string;
  readonly policyFile: string;
  readonly logLevel: LogLevel;
  readonly maxStalenessMs: bigint;
  readonly syncBudgetMs: bigint;
  readonly tombstoneRetentionMs: bigint;
  readonly checkpointMaxAgeS: bigint;
  /** The policy stream, when the variables configure one. */
  readonly stream: StreamConfig | undefined;
}

export type KafkaAuth = "msk-iam" | "plaintext" | "sasl-plain";

/** Where the policy stream is and how to reach it (authorizer/src/config.rs `StreamConfig`). */
export interface StreamConfig {
  readonly brokers: string | undefined;
  readonly mskClusterArn: string | undefined;
  readonly topic: string;
  readonly auth: KafkaAuth;
  readonly groupPrefix: string;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly maxStalenessMs: bigint;
  readonly syncBudgetMs: bigint;
  /** The topic's `delete.retention.ms`: frozen longer than this, the view is rebuilt from offset 0. */
  readonly tombstoneRetentionMs: bigint;
  /** Signed mode: how old a checkpoint may be when read and still let a replay serve the
   *  stream's state (see stream/replica.ts). */
  readonly checkpointMaxAgeS: bigint;
}

export const DEFAULT_POLICY_FILE = "/opt/gateway-policy.json";

export function levelAtLeast(config: LogLevel, level: LogLevel): boolean {
  return LEVELS.indexOf(level) <= LEVELS.indexOf(config);
}

/** Reads the configuration; every problem is a message naming the variable and the fix. */
export function configFromEnv(vars: Readonly<Record<string, string | undefined>>): { config: Config; problems: string[] } {
  const problems: string[] = [];
  const get = (k: string): string | undefined => {
    const v = vars[k]?.trim();
    return v === undefined || v === "" ? undefined : v;
  };
  const number = (k: string, fallback: bigint, unit = "milliseconds"): bigint => {
    const v = get(k);
    if (v === undefined) return fallback;
    if (/^\+?\d+$/.test(v) && BigInt(v) < 1n << 64n) return BigInt(v);
    problems.push(`${k}=${JSON.stringify(v)} is not a whole number of ${unit}; using ${fallback}`);
    return fallback;
  };
  const apiId = get("AUTHZ_API_ID");
  if (apiId === undefined) problems.push("AUTHZ_API_ID is not set; every request is denied with unknown_api. Set it to the API's id in the policy");
  const levelText = get("AUTHZ_LOG_LEVEL");
  let logLevel: LogLevel = "info";
  if (levelText !== undefined) {
    if ((LEVELS as readonly string[]).includes(levelText)) logLevel = levelText as LogLevel;
    else problems.push(`AUTHZ_LOG_LEVEL=${JSON.stringify(levelText)} is not error, warn, info or debug; using info`);
  }
  const maxStalenessMs = number("AUTHZ_MAX_STALENESS_MS", 1000n);
  const syncBudgetMs = number("AUTHZ_SYNC_BUDGET_MS", 50n);
  const tombstoneRetentionMs = number("AUTHZ_TOMBSTONE_RETENTION_MS", 86_400_000n);
  const checkpointMaxAgeS = number("AUTHZ_CHECKPOINT_MAX_AGE_S", DEFAULT_CHECKPOINT_MAX_AGE_S, "seconds");
  const stream = streamConfig(get, problems, { maxStalenessMs, syncBudgetMs, tombstoneRetentionMs, checkpointMaxAgeS });
  const policyFile = vars.AUTHZ_POLICY_FILE !== undefined && vars.AUTHZ_POLICY_FILE !== "" ? vars.AUTHZ_POLICY_FILE : DEFAULT_POLICY_FILE;
  return { config: { apiId: apiId ?? "", policyFile, logLevel, maxStalenessMs, syncBudgetMs, tombstoneRetentionMs, checkpointMaxAgeS, stream }, problems };
}

function streamConfig(get: (k: string) => string | undefined, problems: string[], times: Pick<StreamConfig, "maxStalenessMs" | "syncBudgetMs" | "tombstoneRetentionMs" | "checkpointMaxAgeS">): StreamConfig | undefined {
  const topic = get("AUTHZ_KAFKA_TOPIC");
  const brokers = get("AUTHZ_KAFKA_BROKERS");
  const mskClusterArn = get("AUTHZ_MSK_CLUSTER_ARN");
  const located = brokers !== undefined || mskClusterArn !== undefined;
  if (topic === undefined) {
    if (located) problems.push("AUTHZ_KAFKA_BROKERS/AUTHZ_MSK_CLUSTER_ARN is set without AUTHZ_KAFKA_TOPIC; the policy stream is off");
    return undefined;
  }
  if (!located) {
    problems.push("AUTHZ_KAFKA_TOPIC is set without AUTHZ_KAFKA_BROKERS or AUTHZ_MSK_CLUSTER_ARN; the policy stream is off");
    return undefined;
  }
  const authText = get("AUTHZ_KAFKA_AUTH");
  let auth: KafkaAuth;
  if (authText === undefined) auth = mskClusterArn !== undefined ? "msk-iam" : "plaintext";
  else if (authText === "plaintext" || authText === "msk-iam" || authText === "sasl-plain") auth = authText;
  else {
    problems.push(`AUTHZ_KAFKA_AUTH=${JSON.stringify(authText)} is not msk-iam, plaintext or sasl-plain; the policy stream is off`);
    return undefined;
  }
  return { brokers, mskClusterArn, topic, auth, groupPrefix: get("AUTHZ_KAFKA_GROUP_PREFIX") ?? "gateway-authz", username: get("AUTHZ_KAFKA_USERNAME"), password: get("AUTHZ_KAFKA_PASSWORD"), ...times };
}
