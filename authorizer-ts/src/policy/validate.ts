// Validation of a policy document as JSON, before any typed reading, so that every problem
// is reported at once with its JSON path and a hint at the fix. The paths, messages and their
// order are the Rust build's (authorizer/src/policy/validate.rs): `authz validate` prints
// the same lines from either build.

import { display, get, isObject, JsonNumber, sortedKeys, type Json, type JsonObject } from "../json.js";
import { accepts, checkJwk, type Algorithm, type PublicKey, supportedAlgorithm, SUPPORTED_ALGORITHMS } from "../keys.js";
import { parseRoute, RouteError, Router } from "../route.js";
import { eqIgnoreAsciiCase } from "../text.js";

export const POLICY_SCHEMA = "gateway-policy/v1";

/** One problem in a policy: where (a JSON path like `$.issuers[0].keys[1].jwk`) and what. */
export interface PolicyError {
  readonly path: string;
  readonly message: string;
}

export class PolicyErrors extends Error {
  constructor(readonly errors: readonly PolicyError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join("\n"));
  }
  static single(path: string, message: string): PolicyErrors {
    return new PolicyErrors([{ path, message }]);
  }
}

type Errs = PolicyError[];

function push(errs: Errs, path: string, message: string): void {
  errs.push({ path, message });
}

export function kind(v: Json | undefined): string {
  if (v === null || v === undefined) return "null";
  if (typeof v === "boolean") return "a boolean";
  if (typeof v === "string") return "a string";
  if (v instanceof JsonNumber) return "a number";
  return Array.isArray(v) ? "an array" : "an object";
}

/** `as_u64`: a whole number that serde_json holds as u64. */
export function asU64(v: Json | undefined): bigint | undefined {
  return v instanceof JsonNumber && v.kind === "u64" ? v.int : undefined;
}

/** Checks the object's keys: required ones present, no unknown ones (a typo such as
 *  `scope` for `scopes` must not be silently ignored). */
function object(v: Json, path: string, required: readonly string[], optional: readonly string[], errs: Errs): JsonObject | undefined {
  if (!isObject(v)) {
    push(errs, path, `must be an object, found ${kind(v)}`);
    return undefined;
  }
  for (const key of required) if (!Object.hasOwn(v, key)) push(errs, path, `\`${key}\` is required`);
  for (const key of sortedKeys(v)) {
    if (!required.includes(key) && !optional.includes(key)) {
      push(errs, `${path}.${key}`, `unknown field; the fields here are ${[...required, ...optional].join(", ")}`);
    }
  }
  return v;
}

const IDENTIFIER = /^[A-Za-z0-9._:@-]{1,200}$/;

/** An identifier: non-empty, printable, no spaces or slashes (it becomes part of a Kafka key). */
export function isIdentifier(s: string): boolean {
  return IDENTIFIER.test(s);
}

function idField(obj: JsonObject, key: string, path: string, errs: Errs): string | undefined {
  const v = get(obj, key);
  if (v === undefined) return undefined;
  const p = `${path}.${key}`;
  if (typeof v === "string") {
    if (isIdentifier(v)) return v;
    push(errs, p, `"${v}" is not a usable id; use 1-200 characters of letters, digits, '.', '_', ':', '@' or '-'`);
    return undefined;
  }
  push(errs, p, `must be a string, found ${kind(v)}`);
  return undefined;
}

function stringField(obj: JsonObject, key: string, path: string, errs: Errs): string | undefined {
  const v = get(obj, key);
  if (v === undefined) return undefined;
  if (typeof v === "string" && v !== "") return v;
  push(errs, `${path}.${key}`, `must be a non-empty string, found ${kind(v)}`);
  return undefined;
}

/** Rust's `char::is_whitespace` (Unicode White_Space). */
export const RUST_WHITESPACE = /[\u0009-\u000d\u0020\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/;

/** A list of non-empty strings without duplicates; returns the usable ones (with repeats). */
function stringList(obj: JsonObject, key: string, path: string, nonEmpty: boolean, errs: Errs): string[] {
  const p = `${path}.${key}`;
  const v = get(obj, key);
  if (v === undefined) return [];
  if (!Array.isArray(v)) {
    push(errs, p, `must be an array of strings, found ${kind(v)}`);
    return [];
  }
  if (nonEmpty && v.length === 0) push(errs, p, "must list at least one value");
  const out: string[] = [];
  for (const [i, item] of v.entries()) {
    if (typeof item === "string" && item !== "" && !RUST_WHITESPACE.test(item)) {
      if (out.includes(item)) push(errs, `${p}[${i}]`, `"${item}" is listed twice`);
      out.push(item);
    } else {
      push(errs, `${p}[${i}]`, "must be a non-empty string without spaces");
    }
  }
  return out;
}

function array(obj: JsonObject, key: string, path: string, errs: Errs): readonly Json[] {
  const v = get(obj, key);
  if (v === undefined) return [];
  if (Array.isArray(v)) return v;
  push(errs, `${path}.${key}`, `must be an array, found ${kind(v)}`);
  return [];
}

type SectionValidator = (v: Json, path: string, errs: Errs) => string | undefined;

/** Validates a whole `gateway-policy/v1` document; throws PolicyErrors with every problem. */
export function validateDocument(doc: Json): void {
  const errs: Errs = [];
  const obj = object(doc, "$", ["schema", "revision"], ["issuers", "clients", "apis", "publishers"], errs);
  if (obj === undefined) throwIfAny(errs);
  else {
    const schema = get(obj, "schema");
    if (schema !== undefined && schema !== POLICY_SCHEMA) {
      push(errs, "$.schema", `is ${display(schema)}; this authorizer reads "${POLICY_SCHEMA}"`);
    }
    const rev = get(obj, "revision");
    if (rev !== undefined && asU64(rev) === undefined) {
      push(errs, "$.revision", `must be a whole number >= 0, found ${display(rev)}`);
    }
    const sections: [string, SectionValidator][] = [
      ["issuers", validateIssuerAt],
      ["clients", validateClientAt],
      ["apis", validateApiAt],
      ["publishers", validatePublisherAt],
    ];
    const issuerUrls = new Set<string>();
    for (const [section, validate] of sections) {
      const ids = new Set<string>();
      for (const [i, item] of array(obj, section, "$", errs).entries()) {
        const path = `$.${section}[${i}]`;
        const id = validate(item, path, errs);
        if (id !== undefined) {
          if (ids.has(id)) {
            const field = section === "publishers" ? "kid" : "id";
            push(errs, `${path}.${field}`, `"${id}" is used by an earlier entry; ids must be unique`);
          }
          ids.add(id);
        }
        if (section === "issuers") {
          const url = get(item, "issuer");
          if (typeof url === "string") {
            if (issuerUrls.has(url)) {
              push(errs, `${path}.issuer`, `"${url}" is used by an earlier issuer; each \`iss\` must name one issuer`);
            }
            issuerUrls.add(url);
          }
        }
      }
    }
  }
  throwIfAny(errs);
}

function throwIfAny(errs: Errs): void {
  if (errs.length > 0) throw new PolicyErrors(errs);
}

function single(f: SectionValidator, v: Json, path: string): void {
  const errs: Errs = [];
  f(v, path, errs);
  throwIfAny(errs);
}

export const validateIssuer = (v: Json, path: string): void => { single(validateIssuerAt, v, path); };
export const validateClient = (v: Json, path: string): void => { single(validateClientAt, v, path); };
export const validateApi = (v: Json, path: string): void => { single(validateApiAt, v, path); };
export const validatePublisher = (v: Json, path: string): void => { single(validatePublisherAt, v, path); };

function validateIssuerAt(v: Json, path: string, errs: Errs): string | undefined {
  const obj = object(v, path, ["id", "issuer", "audiences", "algorithms", "keys"], ["client_id_claims", "leeway_seconds"], errs);
  if (obj === undefined) return undefined;
  const id = idField(obj, "id", path, errs);
  stringField(obj, "issuer", path, errs);
  stringList(obj, "audiences", path, true, errs);
  // The index is into the usable entries, as in the Rust build.
  for (const [i, alg] of stringList(obj, "algorithms", path, true, errs).entries()) {
    if (supportedAlgorithm(alg) === undefined) {
      const why = alg.startsWith("HS") || eqIgnoreAsciiCase(alg, "none")
        ? "shared-secret and unsigned tokens are never accepted"
        : "it is not supported";
      push(errs, `${path}.algorithms[${i}]`, `"${alg}": ${why}; use one of ${SUPPORTED_ALGORITHMS.join(", ")}`);
    }
  }
  if (Object.hasOwn(obj, "client_id_claims")) stringList(obj, "client_id_claims", path, true, errs);
  const leeway = get(obj, "leeway_seconds");
  if (leeway !== undefined) {
    const s = asU64(leeway);
    if (s === undefined || s > 300n) {
      push(errs, `${path}.leeway_seconds`, `is ${display(leeway)}; use a whole number of seconds from 0 to 300`);
    }
  }
  const algsValue = get(obj, "algorithms");
  const algorithms: Algorithm[] = [];
  if (Array.isArray(algsValue)) {
    for (const name of algsValue) {
      const alg = typeof name === "string" ? supportedAlgorithm(name) : undefined;
      if (alg !== undefined) algorithms.push(alg);
    }
  }
  const kids = new Set<string>();
  for (const [i, key] of array(obj, "keys", path, errs).entries()) {
    const kpath = `${path}.keys[${i}]`;
    const kobj = object(key, kpath, ["kid", "status", "jwk"], [], errs);
    if (kobj === undefined) continue;
    const kid = stringField(kobj, "kid", kpath, errs);
    if (kid !== undefined) {
      if (kids.has(kid)) push(errs, `${kpath}.kid`, `"${kid}" is used by an earlier key of this issuer`);
      kids.add(kid);
      const jwkKid = get(get(kobj, "jwk"), "kid");
      if (typeof jwkKid === "string" && jwkKid !== kid) {
        push(errs, `${kpath}.jwk.kid`, `"${jwkKid}" differs from the key's kid "${kid}"`);
      }
    }
    const status = get(kobj, "status");
    if (!(status === undefined || status === "active" || status === "retired" || status === "revoked")) {
      push(errs, `${kpath}.status`, 'must be "active", "retired" (verifies, rotation overlap) or "revoked" (never verifies)');
    }
    const jwk = get(kobj, "jwk");
    if (jwk !== undefined) {
      const jpath = `${kpath}.jwk`;
      const k = jwkProblems(jwk, jpath, errs);
      // A key no allowed algorithm fits could never verify a token of this issuer.
      if (k !== undefined && algorithms.length > 0 && !algorithms.some((a) => accepts(k, a))) {
        const names = SUPPORTED_ALGORITHMS.filter((n) => algorithms.includes(n)).map((n) => `"${n}"`).join(", ");
        push(
          errs,
          k.alg !== undefined ? `${jpath}.alg` : jpath,
          `this key verifies none of the issuer's algorithms [${names}]; add the key's algorithm to \`algorithms\` or use a key that fits them`,
        );
      }
    }
  }
  return id;
}

/** The key, or each of its problems under the JWK member it is in (`...jwk.e`) when it is in one. */
function jwkProblems(jwk: Json, jwkPath: string, errs: Errs): PublicKey | undefined {
  const result = checkJwk(jwk);
  if (!Array.isArray(result)) return result;
  for (const problem of result) {
    push(errs, problem.member === undefined ? jwkPath : `${jwkPath}.${problem.member}`, problem.message);
  }
  return undefined;
}

function validateClientAt(v: Json, path: string, errs: Errs): string | undefined {
  const obj = object(v, path, ["id", "status"], ["scopes"], errs);
  if (obj === undefined) return undefined;
  const id = idField(obj, "id", path, errs);
  const status = get(obj, "status");
  if (!(status === undefined || status === "active" || status === "suspended")) {
    push(errs, `${path}.status`, 'must be "active" or "suspended"');
  }
  stringList(obj, "scopes", path, false, errs);
  return id;
}

function validateApiAt(v: Json, path: string, errs: Errs): string | undefined {
  const obj = object(v, path, ["id", "routes"], [], errs);
  if (obj === undefined) return undefined;
  const id = idField(obj, "id", path, errs);
  const router = new Router();
  for (const [i, route] of array(obj, "routes", path, errs).entries()) {
    const rpath = `${path}.routes[${i}]`;
    const robj = object(route, rpath, ["route"], ["scopes", "public"], errs);
    if (robj === undefined) continue;
    const scopes = stringList(robj, "scopes", rpath, false, errs);
    const pub = get(robj, "public");
    if (pub === true && scopes.length > 0) {
      push(errs, `${rpath}.scopes`, "a public route needs no token, so its scopes would never be checked; remove them or set `public` to false");
    } else if (pub !== undefined && typeof pub !== "boolean") {
      push(errs, `${rpath}.public`, `must be true or false, found ${kind(pub)}`);
    }
    const text = stringField(robj, "route", rpath, errs);
    if (text === undefined) continue;
    try {
      const earlier = router.insert(parseRoute(text), i);
      if (earlier !== undefined) {
        push(errs, `${rpath}.route`, `"${text}" has the same method and shape as routes[${earlier}]; one of them would never match`);
      }
    } catch (e) {
      if (!(e instanceof RouteError)) throw e;
      push(errs, `${rpath}.route`, e.message);
    }
  }
  return id;
}

function validatePublisherAt(v: Json, path: string, errs: Errs): string | undefined {
  const obj = object(v, path, ["kid", "jwk"], [], errs);
  if (obj === undefined) return undefined;
  const kid = stringField(obj, "kid", path, errs);
  const jwk = get(obj, "jwk");
  if (jwk !== undefined) {
    const key = jwkProblems(jwk, `${path}.jwk`, errs);
    if (key !== undefined && key.family !== "ed25519") {
      push(errs, `${path}.jwk`, "publisher keys sign events with EdDSA; use an Ed25519 (OKP) key");
    }
  }
  return kid;
}
