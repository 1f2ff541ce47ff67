// The Rust `authz` the parity tests compare against: AUTHZ_BIN, set by scripts/ts-test.sh
// to the binary `make build-native` builds. Without it the parity tests are skipped (and
// say so); `make ts-test` always sets it and fails when the binary is missing.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

export const AUTHZ_BIN = process.env.AUTHZ_BIN;

/** `false`, or the reason a parity test is skipped. */
export const skipRust: string | false =
  AUTHZ_BIN === undefined ? "AUTHZ_BIN is not set (make ts-test sets it)" : false;

if (AUTHZ_BIN !== undefined && !existsSync(AUTHZ_BIN)) throw new Error(`AUTHZ_BIN ${AUTHZ_BIN} does not exist; run make build-native`);

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(bin: string, args: readonly string[]): Run {
  const r = spawnSync(bin, args, { encoding: "utf8", maxBuffer: 16 << 20 });
  if (r.error !== undefined) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function rust(args: readonly string[]): Run {
  if (AUTHZ_BIN === undefined) throw new Error("AUTHZ_BIN is not set");
  return run(AUTHZ_BIN, args);
}
