// Bearer-token verification: the token checks of the decision, in the order the conformance
// README fixes (structure, issuer, algorithm, key, signature, time, audience), made by this
// code in that order (authorizer/src/token.rs). Only the signature check is delegated, to
// node:crypto with a key imported at policy load.
//
// Keys come only from the policy: `jku`, `x5u`, `x5c` and an embedded `jwk` are never used.

import { constants, verify as cryptoVerify } from "node:crypto";

import { decodeB64url, isB64url } from "./b64.js";
import type { Reason } from "./decision.js";
import { debugList, debugStr, display, formatRustF64, get, isObject, parseFast, utf8, type FastObject } from "./json.js";
import { accepts, supportedAlgorithm, type Algorithm, type PublicKey } from "./keys.js";
import type { Issuer, PolicyView } from "./policy/view.js";
import { byteLength, splitAsciiWhitespace } from "./text.js";

/** Tokens longer than this (in bytes) are refused before anything is decoded. */
export const MAX_TOKEN_BYTES = 8 * 1024;

/** The step-by-step record of a verification, for `explain`. */
export type Trace = [step: string, what: string][];

export interface VerifiedToken {
  readonly issuer: Issuer;
  readonly claims: FastObject;
  readonly alg: Algorithm;
  readonly kid: string;
}

/** Why a token was refused (no exception on the hot path: a deny is an ordinary outcome). */
export class TokenRejected {
  constructor(readonly reason: Reason) {}
}

function decodeJson(segment: string): FastObject | undefined {
  const bytes = decodeB64url(segment);
  if (bytes === undefined) return undefined;
  const text = utf8(bytes);
  if (text === undefined) return undefined;
  const v = parseFast(text);
  return isObject(v) ? v : undefined;
}

const HASH: Record<Algorithm, string | null> = {
  RS256: "sha256", RS384: "sha384", RS512: "sha512",
  PS256: "sha256", PS384: "sha384", PS512: "sha512",
  ES256: "sha256", ES384: "sha384", EdDSA: null,
};

/** The signature check, as aws-lc makes it: PKCS#1 v1.5, PSS with a digest-length salt,
 *  fixed-size (r||s) ECDSA, Ed25519. */
export function verifySignature(pub: PublicKey, alg: Algorithm, message: string, signature: Buffer): boolean {
  const key = pub.key;
  if (key === undefined) return false;
  const data = Buffer.from(message, "latin1");
  try {
    if (alg.startsWith("RS")) {
      return cryptoVerify(HASH[alg], data, { key, padding: constants.RSA_PKCS1_PADDING }, signature);
    }
    if (alg.startsWith("PS")) {
      return cryptoVerify(HASH[alg], data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, signature);
    }
    if (alg.startsWith("ES")) return cryptoVerify(HASH[alg], data, { key, dsaEncoding: "ieee-p1363" }, signature);
    return cryptoVerify(null, data, key, signature);
  } catch {
    return false;
  }
}

function asF64(v: unknown): number | undefined {
  return typeof v === "number" ? v : undefined;
}

/** Verifies `token` against the policy at `now` (Unix seconds). */
export function verifyToken(token: string, view: PolicyView, now: number, trace?: Trace): VerifiedToken | TokenRejected {
  // Notes are built only when traced: formatting them costs more than the checks.
  const note = (step: string, what: () => string): void => {
    trace?.push([step, what()]);
  };
  const reject = (reason: Reason, what: () => string): TokenRejected => {
    note(reason, what);
    return new TokenRejected(reason);
  };
  // Structure: size first, then exactly three base64url segments, a JSON header and a JSON
  // object payload; `crit` names extensions we do not implement, so any is refused.
  const size = byteLength(token);
  if (size > MAX_TOKEN_BYTES) return reject("malformed_token", () => `token is ${size} bytes, over the ${MAX_TOKEN_BYTES}-byte limit`);
  const parts = token.split(".");
  if (parts.length !== 3) return reject("malformed_token", () => "not three dot-separated segments (a compact JWS)");
  const [h64 = "", p64 = "", s64 = ""] = parts;
  // An empty signature is still a decodable JWS (the unsecured `alg: none` form); the
  // algorithm check refuses it.
  if (h64 === "" || p64 === "" || !isB64url(h64) || !isB64url(p64) || !isB64url(s64)) {
    return reject("malformed_token", () => "header or payload is empty, or a segment is not base64url");
  }
  const header = decodeJson(h64);
  const claims = decodeJson(p64);
  if (header === undefined || claims === undefined) return reject("malformed_token", () => "header or payload is not a JSON object");
  const h = header;
  const c = claims;
  // Any `crit` member, even null or empty, names extensions we do not implement.
  if (Object.hasOwn(h, "crit")) return reject("malformed_token", () => "header has `crit`; no critical extensions are implemented");
  const algName = get(h, "alg");
  if (typeof algName !== "string") return reject("malformed_token", () => "header has no `alg` string");
  note("structure", () => "compact JWS with JSON header and payload");

  const issValue = get(c, "iss");
  const iss = typeof issValue === "string" ? issValue : "";
  const issuer = view.issuerByUrl(iss);
  if (issuer === undefined) return reject("unknown_issuer", () => `\`iss\` ${debugStr(iss)} names no issuer in the policy`);
  note("issuer", () => `issuer "${issuer.id}"`);

  const alg = supportedAlgorithm(algName);
  if (alg === undefined || !issuer.algorithms.includes(alg)) {
    return reject("disallowed_algorithm", () => `\`alg\` "${algName}" is not in the issuer's allow-list ${debugList(issuer.algorithmNames)}`);
  }
  note("algorithm", () => `${algName} is allowed`);

  const kidValue = get(h, "kid");
  const kid = typeof kidValue === "string" ? kidValue : "";
  const key = issuer.keys.get(kid);
  if (key === undefined) return reject("unknown_key", () => `\`kid\` ${debugStr(kid)} names no key of issuer "${issuer.id}"`);
  if (key.status === "revoked") return reject("revoked_key", () => `key "${kid}" is revoked`);
  note("key", () => `key "${kid}" is ${key.status}`.toLowerCase());

  const signature = decodeB64url(s64);
  const valid = accepts(key.public, alg) && signature !== undefined && verifySignature(key.public, alg, token.slice(0, h64.length + 1 + p64.length), signature);
  if (!valid) return reject("bad_signature", () => `signature does not verify with key "${kid}" and ${algName}`);
  note("signature", () => "verifies");

  const leeway = issuer.leewaySeconds;
  const leewayText = (): string => formatRustF64(leeway);
  // `exp` must be a number: a string or missing `exp` is an expired token, never "no expiry".
  const exp = asF64(get(c, "exp"));
  if (exp === undefined) return reject("expired", () => "`exp` is missing or not a number");
  else if (exp + leeway >= now) note("expiry", () => `exp ${formatRustF64(exp)} is not past now ${now} (leeway ${leewayText()}s)`);
  else return reject("expired", () => `exp ${formatRustF64(exp)} is past now ${now} beyond the ${leewayText()}s leeway`);
  const nbfValue = get(c, "nbf");
  if (nbfValue !== undefined) {
    const nbf = asF64(nbfValue);
    if (nbf !== undefined && nbf - leeway <= now) note("not_before", () => `nbf ${formatRustF64(nbf)} is not after now`);
    else return reject("not_yet_valid", () => `nbf ${display(nbfValue)} is after now ${now} beyond the ${leewayText()}s leeway`);
  }
  const aud = get(c, "aud");
  let audienceOk = false;
  if (typeof aud === "string") audienceOk = issuer.audiences.has(aud);
  else if (Array.isArray(aud)) audienceOk = aud.some((a) => typeof a === "string" && issuer.audiences.has(a));
  if (!audienceOk) return reject("wrong_audience", () => `\`aud\` ${display(aud ?? null)} is not among ${debugList(issuer.audienceList)}`);
  note("audience", () => "matches");
  return { issuer, claims: c, alg, kid };
}

/** The client the token names: the first of the issuer's `client_id_claims` present as a string. */
export function clientId(token: VerifiedToken): string | undefined {
  for (const claim of token.issuer.clientIdClaims) {
    const v = get(token.claims, claim);
    if (typeof v === "string") return v === "" ? undefined : v;
  }
  return undefined;
}

/** The token's scopes: `scope` (space-separated) if present, else `scp` (array or string). */
export function tokenScopes(claims: FastObject): string[] {
  const scope = get(claims, "scope");
  const v = scope !== undefined ? scope : get(claims, "scp");
  if (typeof v === "string") return splitAsciiWhitespace(v);
  if (Array.isArray(v)) return v.filter((s): s is string => typeof s === "string");
  return [];
}
