// The command line of the TypeScript build: `validate`, `decide`, `explain` and
// `conformance`, with the Rust `authz`'s arguments, output and exit codes (0 done, 1 a
// failed check, 2 a usage or input error).

import { handleEvent } from "./apigw/response.js";
import { readEvent, NOT_BEARER, SHAPE_DEBUG } from "./apigw/event.js";
import { runDir, readText } from "./conformance.js";
import { decide } from "./decision.js";
import { JsonSyntaxError, parseExact, pretty, type Json } from "./json.js";
import { loadPolicy } from "./policy/load.js";
import { PolicyErrors } from "./policy/validate.js";
import type { PolicyView } from "./policy/view.js";
import type { Trace } from "./token.js";

class UsageError extends Error {}

const USAGE = `Team gateway authorizer (TypeScript build): policies and decisions

Usage: cli.js <COMMAND>

Commands:
  validate     Check a policy document; prints every problem with its JSON path
  decide       Decide one API Gateway authorizer event against a policy; prints the decision as JSON
  explain      Like \`decide\`, printing every check in order with its outcome
  conformance  Run every conformance case (*.json) below a folder; prints "N passed, M failed"`;

function flags(args: readonly string[], names: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? "";
    const eq = a.indexOf("=");
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (!name.startsWith("--") || !names.includes(name.slice(2))) throw new UsageError(`unexpected argument '${a}' found`);
    let value: string | undefined;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      value = args[i + 1];
      i++;
    }
    if (value === undefined) throw new UsageError(`a value is required for '${name} <${name.slice(2).toUpperCase()}>' but none was supplied`);
    if (out.has(name.slice(2))) throw new UsageError(`the argument '${name}' cannot be used multiple times`);
    out.set(name.slice(2), value);
  }
  return out;
}

function required(f: Map<string, string>, name: string): string {
  const v = f.get(name);
  if (v === undefined) throw new UsageError(`the following required arguments were not provided:\n  --${name} <${name.toUpperCase().replace("-", "_")}>`);
  return v;
}

function positional(args: readonly string[], what: string): string {
  const [first, ...rest] = args;
  if (first === undefined) throw new UsageError(`the following required arguments were not provided:\n  <${what}>`);
  if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0] ?? ""}' found`);
  return first;
}

function validate(args: readonly string[]): number {
  const path = positional(args, "POLICY");
  const text = readText(path);
  try {
    const view = loadPolicy(text);
    const counts = view.counts().map(([k, n]) => `${n} ${k}s`);
    process.stdout.write(`${path}: valid, revision ${view.revision}, ${counts.join(", ")}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof PolicyErrors)) throw e;
    process.stderr.write(`${path}: ${e.errors.length} problem(s)\n${e.errors.map((x) => `  ${x.path}: ${x.message}\n`).join("")}`);
    return 1;
  }
}

/** What `decide`/`explain` print for a policy text, an event text and a time. */
export function decideOutput(policyPath: string, policyText: string, apiId: string, eventPath: string, eventText: string, now: number, explain: boolean): { stdout: string; stderr: string } {
  let event: Json;
  try {
    event = parseExact(eventText);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw new Error(`${eventPath}: not JSON: ${e.message}`, { cause: e });
    throw e;
  }
  let stderr = "";
  let view: PolicyView | undefined;
  try {
    view = loadPolicy(policyText);
  } catch (e) {
    if (!(e instanceof PolicyErrors)) throw e;
    stderr = `${policyPath}: invalid policy, deciding with none:\n${e.message}\n`;
    view = undefined;
  }
  const outcome = handleEvent(view, apiId, event, now);
  let out = "";
  if (explain) {
    const incoming = readEvent(event);
    out += `event: "${incoming.shape === undefined ? "unrecognised" : SHAPE_DEBUG[incoming.shape]}"\n`;
    const trace: Trace = [];
    if (incoming.arn !== undefined && incoming.token !== NOT_BEARER) {
      decide(view, apiId, { method: incoming.arn.method, path: incoming.arn.path, token: incoming.token }, now, trace);
    }
    trace.forEach(([step, what], i) => {
      out += `${String(i + 1).padStart(2)}. ${step.padEnd(20)} ${what}\n`;
    });
    const d = outcome.decision;
    out += `=> ${d.effect === "allow" ? "Allow" : "Deny"} (${d.reason})\n`;
  }
  const d = outcome.decision;
  out += `${pretty({ effect: d.effect, reason: d.reason, principal: d.principal ?? null, response: outcome.response })}\n`;
  return { stdout: out, stderr };
}

function decideCmd(args: readonly string[], explain: boolean): number {
  const f = flags(args, ["policy", "api-id", "event", "now"]);
  const policyPath = required(f, "policy");
  const apiId = required(f, "api-id");
  const eventPath = required(f, "event");
  const nowText = f.get("now");
  if (nowText !== undefined && !/^[+-]?\d+$/.test(nowText)) {
    throw new UsageError(`invalid value '${nowText}' for '--now <NOW>': invalid digit found in string`);
  }
  const now = nowText === undefined ? Math.floor(Date.now() / 1000) : Number(nowText);
  const eventText = readText(eventPath);
  const { stdout, stderr } = decideOutput(policyPath, readText(policyPath), apiId, eventPath, eventText, now, explain);
  process.stderr.write(stderr);
  process.stdout.write(stdout);
  return 0;
}

function conformance(args: readonly string[]): number {
  const dir = positional(args, "DIR");
  const results = runDir(dir);
  const failed = results.filter((r) => r.failure !== undefined);
  let out = "";
  for (const r of failed) out += `FAIL ${r.file} (${r.name}): ${r.failure ?? ""}\n`;
  out += `${results.length - failed.length} passed, ${failed.length} failed\n`;
  process.stdout.write(out);
  return failed.length === 0 ? 0 : 1;
}

function main(argv: readonly string[]): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "validate":
        return validate(rest);
      case "decide":
        return decideCmd(rest, false);
      case "explain":
        return decideCmd(rest, true);
      case "conformance":
        return conformance(rest);
      case "help":
      case "--help":
      case "-h":
        process.stdout.write(`${USAGE}\n`);
        return 0;
      default:
        throw new UsageError(command === undefined ? "a subcommand is required" : `unrecognized subcommand '${command}'`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`error: ${e.message}\n\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`authz: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
}

// Run only as the program, not when a test imports decideOutput.
if (process.argv[1] !== undefined && /cli\.[jt]s$/.test(process.argv[1])) process.exitCode = main(process.argv.slice(2));
