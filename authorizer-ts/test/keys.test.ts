// The key checks of src/keys.ts, case for case with the tests of authorizer/src/keys.rs.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";

import { encodeB64url } from "../src/b64.js";
import {
  bitLength, checkJwk, hasRocaFingerprint, inSubgroupOf65537, JwkError, MAX_RSA_BITS, parseJwk, ROCA_PRIMES,
  supportedAlgorithm, SUPPORTED_ALGORITHMS, fits,
} from "../src/keys.js";
import { parseExact, type Json } from "../src/json.js";
import { generateKey, rocaShaped } from "./helpers.js";

type Kind = "rsa" | "p256" | "p384" | "ed25519";
const generated = (kind: Kind): Record<string, unknown> => ({ ...generateKey("k", kind).jwk });
const json = (v: unknown): Json => parseExact(JSON.stringify(v));
const b64 = (bytes: Uint8Array | number[]): string => encodeB64url(Buffer.from(bytes));
const decode = (text: unknown): Buffer => Buffer.from(typeof text === "string" ? text : "", "base64url");

/** The first problem of a JWK: its member and message. */
function refused(jwk: unknown): { member: string | undefined; message: string } {
  try {
    parseJwk(json(jwk));
  } catch (e) {
    if (!(e instanceof JwkError)) throw e;
    return { member: e.member, message: e.message };
  }
  assert.fail(`accepted ${JSON.stringify(jwk)}`);
}
const accepted = (jwk: unknown): boolean => !Array.isArray(checkJwk(json(jwk)));

test("refuses secret and unknown keys", () => {
  assert.deepEqual(refused({ kty: "oct", k: "c2VjcmV0" }).member, "k");
  assert.match(refused({ kty: "oct" }).message, /shared secret/);
  assert.match(refused({ kty: "EC", crv: "P-521", x: "AA", y: "AA" }).message, /P-521/);
  assert.equal(refused("not an object").member, undefined);
  assert.equal(refused({ kty: "RSA", n: "AQAB", e: "AQAB" }).message, "RSA modulus `n` has 17 bits; at least 2048 are required");
  const r = refused({ ...generated("rsa"), dq: "AQAB" });
  assert.deepEqual(r, { member: "dq", message: "holds private or secret key material (`dq`); publish only the public key" });
});

test("algorithm names", () => {
  assert.ok(supportedAlgorithm("RS256"));
  for (const name of ["HS256", "none", "ES512"]) assert.equal(supportedAlgorithm(name), undefined);
  assert.ok(fits("p256", "ES256"));
  assert.ok(!fits("p256", "ES384"));
  for (const name of SUPPORTED_ALGORITHMS) assert.equal(supportedAlgorithm(name), name);
});

test("generated keys of every family are accepted", () => {
  for (const kind of ["rsa", "p256", "p384", "ed25519"] as const) {
    const jwk = generated(kind);
    assert.ok(accepted(jwk), kind);
    assert.ok(accepted({ ...jwk, key_ops: ["verify"], use: "sig" }), kind);
  }
});

test("RSA exponents that cannot sign soundly are refused", () => {
  const jwk = generated("rsa");
  for (const e of [0, 1, 2, 4, 65536]) {
    const hex = e.toString(16);
    const r = refused({ ...jwk, e: b64(Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex")) });
    assert.equal(r.member, "e");
    assert.match(r.message, new RegExp(`^RSA exponent \`e\` is ${e};`));
  }
  assert.equal(refused({ ...jwk, e: b64([1, 0, 0, 0, 1]) }).message, 'RSA exponent `e` has more than 32 bits; use "AQAB" (65537)');
  // Leading zero bytes do not make a small exponent large.
  assert.ok(accepted({ ...jwk, e: b64([0, 0, 0, 0, 0, 1, 0, 1]) }));
  assert.ok(accepted({ ...jwk, e: b64([3]) }), "e = 3 is sound with padding");
});

test("RSA moduli out of range or even are refused", () => {
  const jwk = generated("rsa");
  const n = decode(jwk.n);
  assert.equal(bitLength(n), 2048);
  const even = Buffer.from(n);
  even[even.length - 1] = (even[even.length - 1] ?? 0) & 0xfe;
  assert.match(refused({ ...jwk, n: b64(even) }).message, /^RSA modulus `n` is even/);
  // 2047 bits: the byte count alone would call it 2048.
  const short = Buffer.from(n);
  short[0] = 0x7f;
  assert.deepEqual(refused({ ...jwk, n: b64(short) }), { member: "n", message: "RSA modulus `n` has 2047 bits; at least 2048 are required" });
  const long = Buffer.concat([Buffer.from([1]), Buffer.alloc(MAX_RSA_BITS / 8, 0xff)]);
  assert.equal(refused({ ...jwk, n: b64(long) }).message, `RSA modulus \`n\` has ${MAX_RSA_BITS + 1} bits; at most 8192 are accepted`);
});

test("EC points off the curve are refused", () => {
  for (const [kind, crv] of [["p256", "P-256"], ["p384", "P-384"]] as const) {
    const jwk = generated(kind);
    const y = decode(jwk.y);
    y[y.length - 1] = (y[y.length - 1] ?? 0) ^ 1;
    const message = `EC point (\`x\`, \`y\`) is not on the curve ${crv}, so no signature can ever verify with it; copy both coordinates from the issuer's JWKS again`;
    assert.deepEqual(refused({ ...jwk, y: b64(y) }), { member: undefined, message });
    const zero = b64(Buffer.alloc(y.length));
    assert.deepEqual(refused({ ...jwk, x: zero, y: zero }), { member: undefined, message });
    // Coordinates at or above the field prime are not field elements.
    assert.deepEqual(refused({ ...jwk, x: b64(Buffer.alloc(y.length, 0xff)) }), { member: undefined, message });
  }
});

test("keys not for verification are refused", () => {
  const jwk = generated("p256");
  for (const [ops, start] of [
    [["encrypt"], '`key_ops` lists "encrypt";'],
    [["verify", "wrapKey"], '`key_ops` lists "wrapKey";'],
    [["sign"], '`key_ops` ["sign"] lacks "verify"'],
    [[], '`key_ops` [] lacks "verify"'],
    ["verify", '`key_ops` must be an array of distinct strings, found "verify";'],
    [["verify", "verify"], '`key_ops` must be an array of distinct strings, found ["verify","verify"];'],
  ] as const) {
    const r = refused({ ...jwk, key_ops: ops });
    assert.equal(r.member, "key_ops");
    assert.ok(r.message.startsWith(start), r.message);
  }
  assert.ok(accepted({ ...jwk, key_ops: ["sign", "verify"] }));
  for (const use of ["enc", 1, null]) assert.equal(refused({ ...jwk, use }).member, "use", String(use));
});

test("an alg that does not fit the key is refused", () => {
  const r = refused({ ...generated("p256"), alg: "RS256" });
  assert.equal(r.member, "alg");
  assert.ok(r.message.includes("use ES256"), r.message);
  assert.match(refused({ ...generated("ed25519"), alg: "ES384" }).message, /^`alg` "ES384" does not fit a Ed25519 key/);
});

test("every problem of one key is listed", () => {
  const jwk = { ...generated("rsa"), use: "enc", key_ops: ["encrypt"], alg: "HS256", e: "AQ" };
  const result = checkJwk(json(jwk));
  assert.ok(Array.isArray(result));
  assert.deepEqual(result.map((e) => e.member), ["use", "key_ops", "alg", "e"]);
});

test("the fingerprint masks match the published ones", () => {
  // Bit r is set when r is a power of 65537 mod p: the prints of GnuPG's pkscreening.c.
  for (const [p, published] of [
    [11, 0x402n], [13, 0x161an], [17, 0x1a316n], [37, 0x4000402n], [53, 0x12dd703303aed2n], [61, 0x1434026619900b0an],
    [73, 0x147811a48004962078an], [103, 0x16380e9115bd964257768fe396n], [127, 0x6ca09850c2813205a04c81430a190536n],
  ] as const) {
    let mask = 0n;
    for (let r = 0; r < p; r++) if (inSubgroupOf65537(r, p)) mask |= 1n << BigInt(r);
    assert.equal(mask, published, `p = ${p}`);
  }
  assert.equal(ROCA_PRIMES.length, 38);
});

test("a published ROCA key has the fingerprint", () => {
  // The 512-bit test key of github.com/brunoproduit/roca (data/512.pem).
  const n = decode("macdfHf63Jn15Rrhnh6ayjclgaj-e8kosAT0ZCAVsnn9OTOMLB3U3uJemsQpRDsuP_cVhfnUGh25ko4ATaLX_Q");
  assert.equal(bitLength(n), 512);
  assert.ok(hasRocaFingerprint(n));
  const other = Buffer.from(n);
  other[63] = (other[63] ?? 0) ^ 2;
  assert.ok(!hasRocaFingerprint(other));
});

test("a ROCA-shaped 2048-bit modulus is refused at load", () => {
  const n = rocaShaped(2048, 97, 1n);
  assert.equal(bitLength(n), 2048);
  const r = refused({ ...generated("rsa"), n: b64(n) });
  assert.equal(r.member, "n");
  assert.ok(r.message.includes("CVE-2017-15361"));
});

test("every ROCA-shaped modulus has the fingerprint; random moduli do not", () => {
  for (let i = 0; i < 200; i++) {
    const a = i % 120;
    const t = BigInt(randomBytes(4).readUInt32BE() || 1);
    const bits = 2048 + ((i * 37) % 2048);
    assert.ok(hasRocaFingerprint(rocaShaped(bits, a, t)), `a=${a} t=${t} bits=${bits}`);
    // About 2^-30 per modulus: no random one trips it in a run.
    const n = randomBytes(256);
    n[0] = (n[0] ?? 0) | 0x80;
    n[255] = (n[255] ?? 0) | 1;
    assert.ok(!hasRocaFingerprint(n));
  }
});

test("arbitrary JWK members never throw anything but a list of problems", () => {
  for (let i = 0; i < 300; i++) {
    const pick = <T>(xs: readonly T[]): T => xs[randomBytes(1).readUInt8() % xs.length] as T;
    const x = b64(randomBytes(randomBytes(1).readUInt8() % 60));
    const jwk = {
      kty: pick(["RSA", "EC", "OKP", "oct", "x"]), crv: pick(["P-256", "P-384", "Ed25519", "P-521"]),
      n: b64(randomBytes(randomBytes(2).readUInt16BE() % 600)), e: b64(randomBytes(randomBytes(1).readUInt8() % 10)), x, y: x,
    };
    const result = checkJwk(json(jwk));
    if (Array.isArray(result)) assert.ok(result.length > 0);
  }
});
