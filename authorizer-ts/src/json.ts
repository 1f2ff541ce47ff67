// JSON as the Rust build reads it (serde_json): the same inputs accepted and refused, numbers
// classified the same way (u64 / i64 / f64), and values printed the same way in messages.
//
// Two parsers: `parseExact` (policies, cases, events; numbers keep their class, so a
// `revision` of `1.0` is refused like in Rust) and `parseFast` (token segments on the hot
// path: `JSON.parse`, then the checks serde_json makes that JSON.parse does not).

/** A JSON number as serde_json holds it. */
export class JsonNumber {
  constructor(
    readonly kind: "u64" | "i64" | "f64",
    /** The value as a double (what `as_f64` gives). */
    readonly value: number,
    /** The exact integer, for `u64` and `i64`. */
    readonly int: bigint | undefined,
  ) {}
}

export type JsonOf<N> = null | boolean | string | N | JsonOf<N>[] | JsonObjectOf<N>;
export interface JsonObjectOf<N> {
  readonly [key: string]: JsonOf<N>;
}
/** A value from `parseExact`. */
export type Json = JsonOf<JsonNumber>;
export type JsonObject = JsonObjectOf<JsonNumber>;
/** A value from `parseFast` (numbers as doubles). */
export type FastJson = JsonOf<number>;
export type FastObject = JsonObjectOf<number>;

/** serde_json's nesting limit: 128 levels are refused, 127 are read. */
const MAX_DEPTH = 127;

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`${message} at line ${line} column ${column}`);
  }
}

const U64_MAX = (1n << 64n) - 1n;
const I64_MIN = -(1n << 63n);

function classify(source: string): JsonNumber {
  const value = Number(source);
  if (!Number.isFinite(value)) throw new Error("number out of range");
  if (/^-?\d+$/.test(source)) {
    const int = BigInt(source);
    if (source.startsWith("-")) {
      // serde_json reads `-0` and integers below i64::MIN as floats.
      if (int !== 0n && int >= I64_MIN) return new JsonNumber("i64", value, int);
    } else if (int <= U64_MAX) {
      return new JsonNumber("u64", value, int);
    }
  }
  return new JsonNumber("f64", value, undefined);
}

/** Line and column (in bytes, 1-based, as serde_json counts) of a UTF-16 offset. */
function position(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  }
  const column = Buffer.byteLength(text.slice(start, Math.min(offset, text.length)), "utf8");
  return { line, column };
}

function syntaxError(text: string, e: unknown): JsonSyntaxError {
  const raw = e instanceof Error ? e.message : String(e);
  const at = /position (\d+)/.exec(raw);
  const offset = at?.[1] !== undefined ? Number(at[1]) : text.length;
  const { line, column } = position(text, offset);
  let message = raw.replace(/ in JSON at position \d+.*$/s, "").replace(/, ".*" is not valid JSON$/s, "");
  if (/Unexpected end of JSON input/.test(raw)) message = "EOF while parsing a value";
  return new JsonSyntaxError(message, line, column + (offset >= text.length ? 0 : 1));
}

/** Walks a parsed value: depth and well-formed strings (serde_json refuses lone surrogates). */
function check(value: unknown, depth: number): string | undefined {
  if (typeof value === "string") return value.isWellFormed() ? undefined : "lone surrogate in hex escape";
  if (typeof value === "number") return Number.isFinite(value) ? undefined : "number out of range";
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_DEPTH) return "recursion limit exceeded";
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      const bad = check(item, depth + 1);
      if (bad !== undefined) return bad;
    }
    return undefined;
  }
  if (value instanceof JsonNumber) return undefined;
  for (const [k, v] of Object.entries(value)) {
    if (!k.isWellFormed()) return "lone surrogate in hex escape";
    const bad = check(v, depth + 1);
    if (bad !== undefined) return bad;
  }
  return undefined;
}

/** Parses JSON text the way serde_json does, keeping each number's class. */
export function parseExact(text: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(text, (_key, v: unknown, context?: { source?: string }) =>
      typeof v === "number" && context?.source !== undefined ? classify(context.source) : v,
    );
  } catch (e) {
    if (e instanceof Error && e.message === "number out of range") {
      throw new JsonSyntaxError("number out of range", 1, 1);
    }
    throw syntaxError(text, e);
  }
  const bad = check(value, 0);
  if (bad !== undefined) throw new JsonSyntaxError(bad, 1, 1);
  return value as Json;
}

/** Parses JSON on the hot path; `undefined` for anything serde_json would refuse. */
export function parseFast(text: string): FastJson | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return check(value, 0) === undefined ? (value as FastJson) : undefined;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Bytes to text, refusing invalid UTF-8 and keeping a BOM (which JSON then refuses). */
export function utf8(bytes: Uint8Array): string | undefined {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

// ---- access ---------------------------------------------------------------------------

export function isObject<N>(v: JsonOf<N> | undefined): v is JsonObjectOf<N> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof JsonNumber);
}

/** An object's own member (never one inherited from Object.prototype). */
export function get<N>(v: JsonOf<N> | undefined, key: string): JsonOf<N> | undefined {
  if (!isObject(v) || !Object.hasOwn(v, key)) return undefined;
  return v[key];
}

export function getString<N>(v: JsonOf<N> | undefined, key: string): string | undefined {
  const m = get(v, key);
  return typeof m === "string" ? m : undefined;
}

/** Rust's `str` order (bytes of UTF-8, i.e. code points), which serde_json's maps keep. */
export function compareRust(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done === true) return y.done === true ? 0 : -1;
    if (y.done === true) return 1;
    const cx = x.value.codePointAt(0) ?? 0;
    const cy = y.value.codePointAt(0) ?? 0;
    if (cx !== cy) return cx < cy ? -1 : 1;
  }
}

export function sortedKeys(o: object): string[] {
  return Object.keys(o).sort(compareRust);
}

// ---- printing -------------------------------------------------------------------------

/** The shortest digits and decimal exponent of a positive finite double: v = digits × 10^k. */
function shortest(f: number): { digits: string; k: number } {
  const [mantissa = "0", exp = "0"] = f.toExponential().split("e");
  const digits = mantissa.replace(".", "");
  return { digits, k: Number(exp) - digits.length + 1 };
}

/** A double as serde_json (1.0.154, zmij) writes it: `1.0`, `1.5`, `0.001`, `1e+16`, `1.5e-7`. */
export function formatRyu(f: number): string {
  if (f === 0) return Object.is(f, -0) ? "-0.0" : "0.0";
  const sign = f < 0 ? "-" : "";
  const { digits, k } = shortest(Math.abs(f));
  const length = digits.length;
  const kk = length + k;
  if (k >= 0 && kk <= 16) return `${sign}${digits}${"0".repeat(k)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${"0".repeat(-kk)}${digits}`;
  const rest = length === 1 ? "" : `.${digits.slice(1)}`;
  const exp = kk - 1;
  return `${sign}${digits[0] ?? "0"}${rest}e${exp >= 0 ? "+" : "-"}${Math.abs(exp)}`;
}

/** A double as Rust's `Display` writes it: positional, shortest, no `.0` (`1`, `0.5`). */
export function formatRustF64(f: number): string {
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const sign = f < 0 ? "-" : "";
  const { digits, k } = shortest(Math.abs(f));
  if (k >= 0) return `${sign}${digits}${"0".repeat(k)}`;
  const kk = digits.length + k;
  if (kk > 0) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  return `${sign}0.${"0".repeat(-kk)}${digits}`;
}

function formatNumber(n: JsonNumber | number): string {
  if (n instanceof JsonNumber) return n.int !== undefined ? n.int.toString() : formatRyu(n.value);
  // A token claim: its lexeme is gone; integers print as integers.
  return Number.isInteger(n) && Math.abs(n) < 2 ** 63 ? BigInt(n).toString() : formatRyu(n);
}

/** A value as serde_json's `Display` prints it: compact, keys in Rust order. */
export function display<N>(v: JsonOf<N> | undefined): string {
  if (v === undefined || v === null) return "null";
  if (typeof v === "boolean") return v ? "true" : "false";
  if (typeof v === "string") return JSON.stringify(v);
  if (typeof v === "number") return formatNumber(v);
  if (v instanceof JsonNumber) return formatNumber(v);
  if (Array.isArray(v)) return `[${v.map((x) => display(x)).join(",")}]`;
  const o = v as JsonObjectOf<N>;
  return `{${sortedKeys(o)
    .map((k) => `${JSON.stringify(k)}:${display(o[k])}`)
    .join(",")}}`;
}

/** Output values: integers as bigint (Rust's u64/i64), other numbers as doubles (f64). */
export type Out = null | boolean | string | number | bigint | Out[] | { readonly [key: string]: Out | undefined };

/** `serde_json::to_string_pretty` of a `Value`: two-space indent, keys in Rust order. */
export function pretty(v: Out, indent = ""): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? formatRyu(v) : "null";
  if (typeof v !== "object") return JSON.stringify(v);
  const inner = `${indent}  `;
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    return `[\n${v.map((x) => inner + pretty(x, inner)).join(",\n")}\n${indent}]`;
  }
  const obj = v;
  const keys = sortedKeys(obj).filter((k) => obj[k] !== undefined);
  if (keys.length === 0) return "{}";
  return `{\n${keys.map((k) => `${inner}${JSON.stringify(k)}: ${pretty(obj[k] ?? null, inner)}`).join(",\n")}\n${indent}}`;
}

/** Rust's `{:?}` of a string: quoted, with Rust's escapes. */
export function debugStr(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\r") out += "\\r";
    else if (ch === "\t") out += "\\t";
    else if (c === 0) out += "\\0";
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}

/** Rust's `{:?}` of a `Vec<String>`. */
export function debugList(items: readonly string[]): string {
  return `[${items.map(debugStr).join(", ")}]`;
}

/** `serde_json::to_string` of a `Value` (what `println!("{value}")` prints): keys in Rust order. */
export function compact(v: Out): string {
  if (v === null) return "null";
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number") return Number.isFinite(v) ? formatRyu(v) : "null";
  if (typeof v !== "object") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(compact).join(",")}]`;
  const obj = v;
  return `{${sortedKeys(obj)
    .filter((k) => obj[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${compact(obj[k] ?? null)}`)
    .join(",")}}`;
}

declare global {
  interface JSON {
    /** ES2025 (Node 21+): a value JSON.stringify writes as the given text. */
    rawJSON(text: string): unknown;
  }
}

/** An output value the Lambda runtime's JSON.stringify can write, exact integers included. */
export function toJsonSafe(v: Out): unknown {
  if (typeof v === "bigint") return JSON.rawJSON(v.toString());
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) return v.map(toJsonSafe);
  const obj = v;
  const out: Record<string, unknown> = {};
  for (const k of sortedKeys(obj)) {
    const x = obj[k];
    if (x !== undefined) out[k] = toJsonSafe(x);
  }
  return out;
}
