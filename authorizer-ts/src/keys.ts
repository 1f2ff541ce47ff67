// Public keys from JWKs: turns a policy's `jwk` objects into keys node:crypto verifies with,
// refusing anything that is not an asymmetric signing key we support (authorizer/src/keys.rs).
// Every key is imported once, here, at policy load; decisions never import.

import { createPublicKey, type KeyObject } from "node:crypto";

import { decodeB64url } from "./b64.js";
import { display, get, isObject, type Json } from "./json.js";
import { rsaKeyVerifies } from "./key-checks.js";

export type KeyFamily = "rsa" | "p256" | "p384" | "ed25519";

/** The algorithms a policy may allow. HMAC and `none` never are. */
export const SUPPORTED_ALGORITHMS = [
  "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
] as const;
export type Algorithm = (typeof SUPPORTED_ALGORITHMS)[number];

/** An algorithm name from a policy or a token header; `undefined` for anything we refuse. */
export function supportedAlgorithm(name: string): Algorithm | undefined {
  return (SUPPORTED_ALGORITHMS as readonly string[]).includes(name) ? (name as Algorithm) : undefined;
}

/** Whether a token signed with `alg` can be verified by a key of this family. */
export function fits(family: KeyFamily, alg: Algorithm): boolean {
  switch (family) {
    case "rsa":
      return alg.startsWith("RS") || alg.startsWith("PS");
    case "p256":
      return alg === "ES256";
    case "p384":
      return alg === "ES384";
    case "ed25519":
      return alg === "EdDSA";
  }
}

export interface PublicKey {
  readonly family: KeyFamily;
  /** The JWK's own `alg`, when it pins one. */
  readonly alg: Algorithm | undefined;
  /** `undefined` when the key loads but can verify nothing (see key-checks.ts). */
  readonly key: KeyObject | undefined;
}

/** Whether this key may verify a token signed with `alg`. */
export function accepts(k: PublicKey, alg: Algorithm): boolean {
  return fits(k.family, alg) && (k.alg === undefined || k.alg === alg);
}

export class JwkError extends Error {}

const MIN_RSA_BITS = 2048;

function b64Field(jwk: Json, field: string): { text: string; bytes: Buffer } {
  const text = get(jwk, field);
  if (typeof text !== "string") throw new JwkError(`\`${field}\` is missing; it must be a base64url string`);
  const bytes = decodeB64url(text.replace(/=+$/, ""));
  if (bytes === undefined) throw new JwkError(`\`${field}\` is not valid base64url (RFC 7515, no padding)`);
  return { text, bytes };
}

/** The component as the verifier decodes it again, untrimmed: a padded value is unusable. */
function component(what: string, text: string): void {
  if (text.endsWith("=")) throw new JwkError(`${what} is not usable: Base64 error: Invalid padding`);
}

function tryImport(jwk: Record<string, string>): KeyObject | undefined {
  try {
    return createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return undefined; // not a point on the curve, or not a key OpenSSL reads: verifies nothing
  }
}

/** Parses a JWK into a public key, or throws a JwkError saying what is wrong with it. */
export function parseJwk(jwk: Json): PublicKey {
  if (!isObject(jwk)) {
    throw new JwkError('must be a JWK object, e.g. {"kty":"RSA","n":"...","e":"AQAB"}');
  }
  if (Object.hasOwn(jwk, "d") || Object.hasOwn(jwk, "p") || Object.hasOwn(jwk, "k")) {
    throw new JwkError("holds private or secret key material (`d`, `p` or `k`); publish only the public key");
  }
  const use = get(jwk, "use");
  if (use !== undefined && use !== "sig") {
    throw new JwkError(`\`use\` is ${display(use)}; a verification key must have \`use\` "sig" or none`);
  }
  let alg: Algorithm | undefined;
  const algValue = get(jwk, "alg");
  if (typeof algValue === "string") {
    alg = supportedAlgorithm(algValue);
    if (alg === undefined) {
      throw new JwkError(`\`alg\` "${algValue}" is not supported; use one of ${SUPPORTED_ALGORITHMS.join(", ")}`);
    }
  } else if (algValue !== undefined) {
    throw new JwkError("`alg` must be a string");
  }
  const kty = get(jwk, "kty");
  if (typeof kty !== "string") throw new JwkError('`kty` is missing; use "RSA", "EC" or "OKP"');
  let family: KeyFamily;
  let key: KeyObject | undefined;
  if (kty === "RSA") {
    const n = b64Field(jwk, "n");
    const e = b64Field(jwk, "e");
    let significant = n.bytes.length;
    for (const b of n.bytes) {
      if (b !== 0) break;
      significant--;
    }
    if (significant * 8 < MIN_RSA_BITS) {
      throw new JwkError(`RSA modulus \`n\` has ${significant * 8} bits; at least ${MIN_RSA_BITS} are required`);
    }
    if (e.bytes.length === 0 || e.bytes.length > 8) {
      throw new JwkError('RSA exponent `e` is out of range; it is usually "AQAB"');
    }
    component("RSA key", n.text);
    component("RSA key", e.text);
    family = "rsa";
    key = rsaKeyVerifies(n.bytes, e.bytes) ? tryImport({ kty: "RSA", n: n.text, e: e.text }) : undefined;
  } else if (kty === "EC") {
    const crvValue = get(jwk, "crv");
    const crv = typeof crvValue === "string" ? crvValue : "";
    let len: number;
    if (crv === "P-256") [family, len] = ["p256", 32];
    else if (crv === "P-384") [family, len] = ["p384", 48];
    else throw new JwkError(`EC curve \`crv\` "${crv}" is not supported; use "P-256" or "P-384"`);
    const x = b64Field(jwk, "x");
    const y = b64Field(jwk, "y");
    if (x.bytes.length !== len || y.bytes.length !== len) {
      throw new JwkError(`EC coordinates \`x\` and \`y\` must be ${len} bytes each for ${crv}`);
    }
    component("EC key", x.text);
    component("EC key", y.text);
    key = tryImport({ kty: "EC", crv, x: x.text, y: y.text });
  } else if (kty === "OKP") {
    const crvValue = get(jwk, "crv");
    const crv = typeof crvValue === "string" ? crvValue : "";
    if (crv !== "Ed25519") throw new JwkError(`OKP curve \`crv\` "${crv}" is not supported; use "Ed25519"`);
    const x = b64Field(jwk, "x");
    if (x.bytes.length !== 32) throw new JwkError("Ed25519 public key `x` must be 32 bytes");
    component("Ed25519 key", x.text);
    family = "ed25519";
    key = tryImport({ kty: "OKP", crv, x: x.text });
  } else if (kty === "oct") {
    throw new JwkError('`kty` "oct" is a shared secret; only asymmetric keys (RSA, EC, OKP) are accepted');
  } else {
    throw new JwkError(`\`kty\` "${kty}" is not supported; use "RSA", "EC" or "OKP"`);
  }
  if (alg !== undefined && !fits(family, alg)) throw new JwkError(`\`alg\` ${alg} does not fit a ${kty} key`);
  return { family, alg, key };
}
