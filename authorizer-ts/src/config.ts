// The Lambda's configuration from the same AUTHZ_* variables as the Rust build
// (authorizer/src/config.rs), with the same problems reported for bad values.

export type LogLevel = "error" | "warn" | "info" | "debug";
const LEVELS: readonly LogLevel[] = ["error", "warn", "info", "debug"];

export interface Config {
  readonly apiId: string;
  readonly policyFile: string;
  readonly logLevel: LogLevel;
  readonly maxStalenessMs: bigint;
  readonly syncBudgetMs: bigint;
  readonly tombstoneRetentionMs: bigint;
  /** Whether the variables ask for the policy stream. */
  readonly streamRequested: boolean;
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
  const number = (k: string, fallback: bigint): bigint => {
    const v = get(k);
    if (v === undefined) return fallback;
    if (/^\+?\d+$/.test(v) && BigInt(v) < 1n << 64n) return BigInt(v);
    problems.push(`${k}=${JSON.stringify(v)} is not a whole number of milliseconds; using ${fallback}`);
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
  const streamRequested = get("AUTHZ_KAFKA_TOPIC") !== undefined || get("AUTHZ_KAFKA_BROKERS") !== undefined || get("AUTHZ_MSK_CLUSTER_ARN") !== undefined;
  if (streamRequested) {
    // Said loudly rather than ignored: this build decides on the baked policy only.
    problems.push("AUTHZ_KAFKA_TOPIC/AUTHZ_KAFKA_BROKERS/AUTHZ_MSK_CLUSTER_ARN are set, but the TypeScript build has no policy stream yet; deciding on the baked policy");
  }
  const policyFile = vars.AUTHZ_POLICY_FILE !== undefined && vars.AUTHZ_POLICY_FILE !== "" ? vars.AUTHZ_POLICY_FILE : DEFAULT_POLICY_FILE;
  return { config: { apiId: apiId ?? "", policyFile, logLevel, maxStalenessMs, syncBudgetMs, tombstoneRetentionMs, streamRequested }, problems };
}
