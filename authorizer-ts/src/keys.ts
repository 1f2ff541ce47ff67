// Public keys from JWKs: turns a policy's `jwk` objects into keys node:crypto verifies with,
// refusing anything that is not an asymmetric signing key we support (authorizer/src/keys.rs).
// Every key is imported once, here, at policy load; decisions never import.

import { createPublicKey, type KeyObject } from "node:crypto";

import { decodeB64url } from "./b64.js";
import { display, get, isObject, type Json, type JsonObject } from "./json.js";
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

/** Why a JWK cannot be a verification key in a policy; `member` is the JWK member at fault. */
export class JwkError extends Error {
  constructor(message: string, readonly member: string | undefined) {
    super(message);
  }
}

/** Smallest RSA modulus accepted (NIST SP 800-131A: below 2048 bits is disallowed). */
export const MIN_RSA_BITS = 2048;
/** Largest RSA modulus accepted: the most the Rust build's verifier takes. */
export const MAX_RSA_BITS = 8192;
/** Largest RSA public exponent accepted, in bits. */
export const MAX_RSA_EXPONENT_BITS = 32;

/** JWK members that hold private or secret key material (RFC 7518 §6.3.2, §6.2.2, §6.4). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] as const;
/** `key_ops` values (RFC 7517 §4.3) a verification key may carry. */
const SIGNATURE_OPS = ["verify", "sign"];

function b64Member(jwk: JsonObject, member: string): { text: string; bytes: Buffer } {
  const text = get(jwk, member);
  if (typeof text !== "string") throw new JwkError(`\`${member}\` is missing; it must be a base64url string`, member);
  const bytes = decodeB64url(text.replace(/=+$/, ""));
  if (bytes === undefined) throw new JwkError(`\`${member}\` is not valid base64url (RFC 7515, no padding)`, member);
  return { text, bytes };
}

/**
 * The component as the verifier decodes it again, untrimmed: a padded value is unusable, with
 * the error the `base64` crate (0.22, URL_SAFE_NO_PAD) gives. `text` is canonical base64url
 * followed by '=' only (it decoded once trimmed).
 */
function component(kty: string, text: string): void {
  const first = text.indexOf("=");
  if (first < 0) return;
  // The crate decodes whole quads first and keeps the last 1..4 characters for the end.
  const rem = text.length % 4;
  const leftovers = rem === 0 ? text.length - 4 : text.length - rem;
  const misplaced = first < leftovers || first - leftovers < 2 || text.length - first > 2;
  const detail = misplaced ? `Invalid symbol 61, offset ${first}.` : "Invalid padding";
  throw new JwkError(`${kty} key is not usable: Base64 error: ${detail}`, undefined);
}

function tryImport(jwk: Record<string, string>): KeyObject | undefined {
  try {
    return createPublicKey({ key: jwk, format: "jwk" });
  } catch {
    return undefined; // not a key OpenSSL reads: verifies nothing
  }
}

/** The number of significant bits of a big-endian unsigned integer. */
export function bitLength(be: Uint8Array): number {
  let i = 0;
  while (i < be.length && be[i] === 0) i++;
  const first = be[i];
  if (first === undefined) return 0;
  return (be.length - i - 1) * 8 + (32 - Math.clz32(first));
}

function toBigInt(be: Uint8Array): bigint {
  return be.length === 0 ? 0n : BigInt(`0x${Buffer.from(be).toString("hex")}`);
}

/** Parses a JWK into a public key, or throws a JwkError for the first thing wrong with it. */
export function parseJwk(jwk: Json): PublicKey {
  const result = checkJwk(jwk);
  if (Array.isArray(result)) throw result[0] ?? new JwkError("is not usable", undefined);
  return result;
}

/**
 * Parses a JWK into a public key, or lists every problem found in it (never empty).
 * `use`, `key_ops` and `alg` are checked independently of the key material.
 */
export function checkJwk(jwk: Json): PublicKey | JwkError[] {
  if (!isObject(jwk)) {
    return [new JwkError('must be a JWK object, e.g. {"kty":"RSA","n":"...","e":"AQAB"}', undefined)];
  }
  const priv = PRIVATE_MEMBERS.find((m) => Object.hasOwn(jwk, m));
  if (priv !== undefined) {
    // Nothing else matters: the key must not be in the policy at all.
    return [new JwkError(`holds private or secret key material (\`${priv}\`); publish only the public key`, priv)];
  }
  const errors: JwkError[] = [];
  const use = get(jwk, "use");
  if (use !== undefined && use !== "sig") {
    errors.push(new JwkError(`\`use\` is ${display(use)}; a verification key must have \`use\` "sig" or none`, "use"));
  }
  const ops = get(jwk, "key_ops");
  if (ops !== undefined) {
    const problem = keyOpsProblem(ops);
    if (problem !== undefined) errors.push(problem);
  }
  let alg: Algorithm | undefined;
  const algValue = get(jwk, "alg");
  if (typeof algValue === "string") {
    alg = supportedAlgorithm(algValue);
    if (alg === undefined) {
      errors.push(new JwkError(`\`alg\` "${algValue}" is not supported; use one of ${SUPPORTED_ALGORITHMS.join(", ")}`, "alg"));
    }
  } else if (algValue !== undefined) {
    errors.push(new JwkError(`\`alg\` must be a string, found ${display(algValue)}`, "alg"));
  }
  try {
    const { family, key } = keyMaterial(jwk);
    if (alg !== undefined && !fits(family, alg)) {
      errors.push(new JwkError(
        `\`alg\` "${alg}" does not fit a ${FAMILY_NAMES[family]} key; use ${FITTING[family]} or leave \`alg\` out`,
        "alg",
      ));
    }
    if (errors.length === 0) return { family, alg, key };
  } catch (e) {
    if (!(e instanceof JwkError)) throw e;
    errors.push(e);
  }
  return errors;
}

const FAMILY_NAMES: Record<KeyFamily, string> = { rsa: "RSA", p256: "P-256", p384: "P-384", ed25519: "Ed25519" };
const FITTING: Record<KeyFamily, string> = {
  rsa: "RS256, RS384, RS512, PS256, PS384 or PS512",
  p256: "ES256",
  p384: "ES384",
  ed25519: "EdDSA",
};

/** `key_ops`, when present: distinct strings, `verify` among them, only signature operations. */
function keyOpsProblem(ops: Json): JwkError | undefined {
  const notAList = new JwkError(
    `\`key_ops\` must be an array of distinct strings, found ${display(ops)}; use ["verify"] or leave it out`,
    "key_ops",
  );
  if (!Array.isArray(ops)) return notAList;
  const names: string[] = [];
  for (const item of ops) {
    if (typeof item !== "string" || names.includes(item)) return notAList;
    names.push(item);
  }
  const other = names.find((op) => !SIGNATURE_OPS.includes(op));
  if (other !== undefined) {
    return new JwkError(
      `\`key_ops\` lists "${other}"; a key in the policy only verifies signatures, and one key must not serve another purpose: set it to ["verify"]`,
      "key_ops",
    );
  }
  if (!names.includes("verify")) {
    return new JwkError(
      `\`key_ops\` ${display(ops)} lacks "verify", so the key may not verify tokens; set it to ["verify"] or leave it out`,
      "key_ops",
    );
  }
  return undefined;
}

function keyMaterial(jwk: JsonObject): { family: KeyFamily; key: KeyObject | undefined } {
  if (!Object.hasOwn(jwk, "kty")) throw new JwkError('`kty` is missing; use "RSA", "EC" or "OKP"', "kty");
  const kty = get(jwk, "kty");
  if (kty === "RSA") return rsaKey(jwk);
  if (kty === "EC") return ecKey(jwk);
  if (kty === "OKP") return ed25519Key(jwk);
  if (kty === "oct") {
    throw new JwkError('`kty` "oct" is a shared secret; only asymmetric keys (RSA, EC, OKP) are accepted', "kty");
  }
  throw new JwkError(`\`kty\` ${display(kty)} is not supported; use "RSA", "EC" or "OKP"`, "kty");
}

function rsaKey(jwk: JsonObject): { family: KeyFamily; key: KeyObject | undefined } {
  const n = b64Member(jwk, "n");
  const e = b64Member(jwk, "e");
  const bits = bitLength(n.bytes);
  if (bits < MIN_RSA_BITS) {
    throw new JwkError(`RSA modulus \`n\` has ${bits} bits; at least ${MIN_RSA_BITS} are required`, "n");
  }
  if (bits > MAX_RSA_BITS) {
    throw new JwkError(`RSA modulus \`n\` has ${bits} bits; at most ${MAX_RSA_BITS} are accepted`, "n");
  }
  if (((n.bytes[n.bytes.length - 1] ?? 0) & 1) === 0) {
    throw new JwkError(
      "RSA modulus `n` is even, so it is not a product of two odd primes; check that `n` is the key's modulus",
      "n",
    );
  }
  if (bitLength(e.bytes) > MAX_RSA_EXPONENT_BITS) {
    throw new JwkError(`RSA exponent \`e\` has more than ${MAX_RSA_EXPONENT_BITS} bits; use "AQAB" (65537)`, "e");
  }
  const exponent = toBigInt(e.bytes);
  // e = 1 makes every value its own signature; an even e is not invertible mod φ(n).
  if (exponent < 3n || exponent % 2n === 0n) {
    throw new JwkError(
      `RSA exponent \`e\` is ${exponent}; no signature made with such a key is sound (e must be odd and at least 3): it is usually "AQAB" (65537)`,
      "e",
    );
  }
  if (hasRocaFingerprint(n.bytes)) {
    throw new JwkError(
      "RSA modulus `n` has the ROCA fingerprint (CVE-2017-15361): its private key can be computed from it; replace the key with one generated by other software or firmware",
      "n",
    );
  }
  component("RSA", n.text);
  component("RSA", e.text);
  const key = rsaKeyVerifies(n.bytes, e.bytes) ? tryImport({ kty: "RSA", n: n.text, e: e.text }) : undefined;
  return { family: "rsa", key };
}

interface Curve {
  readonly family: KeyFamily;
  readonly name: string;
  readonly len: number;
  readonly p: bigint;
  readonly b: bigint;
}

// Short Weierstrass curves y² = x³ - 3x + b over GF(p) (SEC 2, FIPS 186-4 D.1.2).
const CURVES: readonly Curve[] = [
  {
    family: "p256",
    name: "P-256",
    len: 32,
    p: 0xffffffff00000001000000000000000000000000ffffffffffffffffffffffffn,
    b: 0x5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604bn,
  },
  {
    family: "p384",
    name: "P-384",
    len: 48,
    p: 0xfffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffffn,
    b: 0xb3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aefn,
  },
];

/** Whether (x, y) is a point of the curve: both coordinates field elements, y² = x³ - 3x + b. */
export function onCurve(curve: Curve, xBytes: Uint8Array, yBytes: Uint8Array): boolean {
  const { p, b } = curve;
  const x = toBigInt(xBytes);
  const y = toBigInt(yBytes);
  if (x >= p || y >= p) return false;
  const rhs = (((x * x) % p) * x - 3n * x + b) % p;
  return (y * y - rhs) % p === 0n;
}

function ecKey(jwk: JsonObject): { family: KeyFamily; key: KeyObject | undefined } {
  const crvValue = get(jwk, "crv");
  const curve = CURVES.find((c) => c.name === crvValue);
  if (curve === undefined) {
    const found = crvValue === undefined ? "missing" : display(crvValue);
    throw new JwkError(`EC curve \`crv\` ${found} is not supported; use "P-256" or "P-384"`, "crv");
  }
  const x = b64Member(jwk, "x");
  const y = b64Member(jwk, "y");
  for (const [member, bytes] of [["x", x.bytes], ["y", y.bytes]] as const) {
    if (bytes.length !== curve.len) {
      throw new JwkError(
        `EC coordinate \`${member}\` is ${bytes.length} bytes long; ${curve.name} needs ${curve.len} bytes`,
        member,
      );
    }
  }
  if (!onCurve(curve, x.bytes, y.bytes)) {
    throw new JwkError(
      `EC point (\`x\`, \`y\`) is not on the curve ${curve.name}, so no signature can ever verify with it; copy both coordinates from the issuer's JWKS again`,
      undefined,
    );
  }
  component("EC", x.text);
  component("EC", y.text);
  return { family: curve.family, key: tryImport({ kty: "EC", crv: curve.name, x: x.text, y: y.text }) };
}

function ed25519Key(jwk: JsonObject): { family: KeyFamily; key: KeyObject | undefined } {
  const crvValue = get(jwk, "crv");
  if (crvValue !== "Ed25519") {
    const found = crvValue === undefined ? "missing" : display(crvValue);
    throw new JwkError(`OKP curve \`crv\` ${found} is not supported; use "Ed25519"`, "crv");
  }
  const x = b64Member(jwk, "x");
  if (x.bytes.length !== 32) throw new JwkError(`Ed25519 public key \`x\` has ${x.bytes.length} bytes; it must be 32`, "x");
  component("OKP", x.text);
  return { family: "ed25519", key: tryImport({ kty: "OKP", crv: "Ed25519", x: x.text }) };
}

/** The small primes of the ROCA fingerprint test (Nemec et al., ACM CCS 2017; GnuPG's pkscreening.c). */
export const ROCA_PRIMES = [
  3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
  101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
] as const;

/** Whether `residue` lies in the subgroup of (Z/pZ)* generated by 65537. */
export function inSubgroupOf65537(residue: number, p: number): boolean {
  const generator = 65537 % p;
  let power = 1;
  for (;;) {
    if (power === residue) return true;
    power = (power * generator) % p;
    if (power === 1) return false;
  }
}

/**
 * The ROCA fingerprint (CVE-2017-15361): for every small prime p of the Infineon primorial,
 * the modulus mod p lies in the subgroup generated by 65537 (a random modulus: about 2^-30).
 */
export function hasRocaFingerprint(modulusBe: Uint8Array): boolean {
  return ROCA_PRIMES.every((p) => {
    let residue = 0;
    for (const b of modulusBe) residue = (residue * 256 + b) % p;
    return inSubgroupOf65537(residue, p);
  });
}
