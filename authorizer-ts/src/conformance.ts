// Decision conformance cases (the shared format: conformance/README.md): loading them and
// running them through the same handleEvent path the Lambda uses (authorizer/src/conformance.rs).

import { readdirSync, readFileSync, statSync } from "node:fs";

import { handleEvent, type Outcome } from "./apigw/response.js";
import { REASONS, type Effect, type Reason } from "./decision.js";
import { compareRust, get, isObject, JsonNumber, parseExact, type Json } from "./json.js";
import { loadPolicyValue } from "./policy/load.js";
import type { PolicyView } from "./policy/view.js";

export interface Case {
  readonly name: string;
  readonly now: number;
  readonly apiId: string;
  readonly event: Json;
  readonly expect: { readonly effect: Effect; readonly reason: Reason; readonly principal: string | undefined };
}

export interface CaseResult {
  readonly file: string;
  readonly name: string;
  /** `undefined` when the case passed, else what went wrong. */
  readonly failure: string | undefined;
}

const I64_MAX = (1n << 63n) - 1n;
const CASE_FIELDS = ["name", "now", "api_id", "policy", "policy_file", "event", "expect", "description"];
const EXPECT_FIELDS = ["effect", "reason", "principal"];

function ioMessage(e: unknown): string {
  const code = (e as { code?: unknown }).code;
  if (code === "ENOENT") return "No such file or directory (os error 2)";
  if (code === "EISDIR") return "Is a directory (os error 21)";
  if (code === "EACCES") return "Permission denied (os error 13)";
  return e instanceof Error ? e.message : String(e);
}

export function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${path}: ${ioMessage(e)}`, { cause: e });
  }
}

function str(obj: Json, key: string, optional: boolean): string | undefined {
  const v = get(obj, key);
  if ((v === undefined || v === null) && optional) return undefined;
  if (typeof v !== "string") throw new Error(v === undefined ? `missing field \`${key}\`` : `invalid type for \`${key}\`, expected a string`);
  return v;
}

/** The case's fields, with the Rust build's refusals (unknown fields, a `now` that is not an i64). */
function parseCase(v: Json): { c: Case; policy: Json | undefined; policyFile: string | undefined } {
  if (!isObject(v)) throw new Error("invalid type, expected struct Case");
  for (const k of Object.keys(v)) if (!CASE_FIELDS.includes(k)) throw new Error(`unknown field \`${k}\``);
  const name = str(v, "name", false) ?? "";
  const nowValue = get(v, "now");
  if (!(nowValue instanceof JsonNumber) || nowValue.int === undefined || nowValue.int > I64_MAX) {
    throw new Error(nowValue === undefined ? "missing field `now`" : "invalid type for `now`, expected i64");
  }
  const apiId = str(v, "api_id", false) ?? "";
  const expect = get(v, "expect");
  if (!isObject(expect)) throw new Error(expect === undefined ? "missing field `expect`" : "invalid type for `expect`, expected struct Expect");
  for (const k of Object.keys(expect)) if (!EXPECT_FIELDS.includes(k)) throw new Error(`unknown field \`${k}\``);
  const effect = str(expect, "effect", false);
  if (effect !== "allow" && effect !== "deny") throw new Error(`unknown variant \`${effect ?? ""}\`, expected \`allow\` or \`deny\``);
  const reason = str(expect, "reason", false) ?? "";
  if (!(REASONS as readonly string[]).includes(reason)) throw new Error(`unknown variant \`${reason}\``);
  const principal = str(expect, "principal", true);
  str(v, "description", true);
  const policy = get(v, "policy");
  return {
    c: { name, now: Number(nowValue.int), apiId, event: get(v, "event") ?? null, expect: { effect, reason: reason as Reason, principal } },
    policy: policy === null ? undefined : policy,
    policyFile: str(v, "policy_file", true),
  };
}

/** Reads a case file; `policy_file` is resolved against the case's folder. An invalid
 *  policy is a legitimate case (expect `no_policy`), so it loads as `undefined`. */
export function loadCase(path: string): { c: Case; view: PolicyView | undefined } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new Error(`cannot read: ${ioMessage(e)}`, { cause: e });
  }
  let parsed;
  try {
    parsed = parseCase(parseExact(text));
  } catch (e) {
    throw new Error(`not a conformance case: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  let policy: Json;
  if (parsed.policy !== undefined && parsed.policyFile === undefined) policy = parsed.policy;
  else if (parsed.policy === undefined && parsed.policyFile !== undefined) {
    const file = parsed.policyFile;
    const full = file.startsWith("/") ? file : joinRust(rustParent(path), file);
    let ptext: string;
    try {
      ptext = readFileSync(full, "utf8");
    } catch (e) {
      throw new Error(`policy_file ${full}: ${ioMessage(e)}`, { cause: e });
    }
    try {
      policy = parseExact(ptext);
    } catch (e) {
      throw new Error(`policy_file ${full}: not JSON: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  } else throw new Error("give exactly one of `policy` and `policy_file`");
  let view: PolicyView | undefined;
  try {
    view = loadPolicyValue(policy);
  } catch {
    view = undefined;
  }
  return { c: parsed.c, view };
}

const EFFECT_DEBUG: Record<Effect, string> = { allow: "Allow", deny: "Deny" };

/** Runs one case through the Lambda's event path. */
export function runCase(c: Case, view: PolicyView | undefined): { outcome: Outcome; failure: string | undefined } {
  const outcome = handleEvent(view, c.apiId, c.event, c.now);
  const d = outcome.decision;
  const problems: string[] = [];
  if (d.effect !== c.expect.effect || d.reason !== c.expect.reason) {
    problems.push(`expected ${EFFECT_DEBUG[c.expect.effect]}/${c.expect.reason}, got ${EFFECT_DEBUG[d.effect]}/${d.reason}`);
  }
  if (c.expect.principal !== undefined && d.principal !== c.expect.principal) {
    const got = d.principal === undefined ? "None" : `Some(${JSON.stringify(d.principal)})`;
    problems.push(`expected principal ${JSON.stringify(c.expect.principal)}, got ${got}`);
  }
  return { outcome, failure: problems.length === 0 ? undefined : problems.join("; ") };
}

function isCase(path: string): boolean {
  try {
    return get(parseExact(readFileSync(path, "utf8")), "expect") !== undefined;
  } catch {
    return false;
  }
}

/** A file's extension as Rust's `Path::extension` sees it (none for `.json` alone). */
function extension(name: string): string | undefined {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? undefined : name.slice(dot + 1);
}

/** Rust's `PathBuf` order: component by component. */
function comparePaths(a: string, b: string): number {
  const ca = a.split("/").filter((s) => s !== "" && s !== ".");
  const cb = b.split("/").filter((s) => s !== "" && s !== ".");
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    const c = compareRust(ca[i] ?? "", cb[i] ?? "");
    if (c !== 0) return c;
  }
  return ca.length - cb.length;
}

function rustParent(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "" : path.slice(0, slash === 0 ? 1 : slash);
}

function joinRust(dir: string, name: string): string {
  if (dir === "") return name;
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** Every `*.json` case below `dir` (recursively, sorted), skipping policies (no `expect`). */
export function caseFiles(dir: string): string[] {
  const out: string[] = [];
  const stack = [dir];
  for (let d = stack.pop(); d !== undefined; d = stack.pop()) {
    let names: string[];
    try {
      names = readdirSync(d);
    } catch (e) {
      throw new Error(`${d}: ${ioMessage(e)}`, { cause: e });
    }
    for (const name of names) {
      const p = joinRust(d, name);
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        isDir = false;
      }
      if (isDir) stack.push(p);
      else if (extension(name) === "json" && isCase(p)) out.push(p);
    }
  }
  return out.sort(comparePaths);
}

/** Runs every case below `dir`. */
export function runDir(dir: string): CaseResult[] {
  const files = caseFiles(dir);
  if (files.length === 0) throw new Error(`no conformance cases (*.json with \`expect\`) below ${dir}`);
  return files.map((file) => {
    try {
      const { c, view } = loadCase(file);
      return { file, name: c.name, failure: runCase(c, view).failure };
    } catch (e) {
      return { file, name: "", failure: e instanceof Error ? e.message : String(e) };
    }
  });
}
