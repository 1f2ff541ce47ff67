// Test keys (generated per run, never written) and tokens signed with them.

import { constants, generateKeyPairSync, sign, type KeyObject } from "node:crypto";

import type { EventJson } from "../src/apigw/event.js";
import { encodeB64url } from "../src/b64.js";
import { ROCA_PRIMES } from "../src/keys.js";

export type TestAlg = "RS256" | "RS384" | "RS512" | "PS256" | "PS384" | "PS512" | "ES256" | "ES384" | "EdDSA";

export interface TestKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly jwk: Record<string, string>;
}

export function generateKey(kid: string, kind: "rsa" | "p256" | "p384" | "ed25519", opts: { bits?: number; exponent?: number } = {}): TestKey {
  let pair;
  if (kind === "rsa") pair = generateKeyPairSync("rsa", { modulusLength: opts.bits ?? 2048, publicExponent: opts.exponent ?? 65537 });
  else if (kind === "ed25519") pair = generateKeyPairSync("ed25519");
  else pair = generateKeyPairSync("ec", { namedCurve: kind === "p256" ? "P-256" : "P-384" });
  const jwk = pair.publicKey.export({ format: "jwk" }) as Record<string, string>;
  return { kid, privateKey: pair.privateKey, jwk };
}

export function kindFor(alg: TestAlg): "rsa" | "p256" | "p384" | "ed25519" {
  if (alg.startsWith("RS") || alg.startsWith("PS")) return "rsa";
  if (alg === "ES256") return "p256";
  if (alg === "ES384") return "p384";
  return "ed25519";
}

const HASH: Record<TestAlg, string | null> = {
  RS256: "sha256", RS384: "sha384", RS512: "sha512", PS256: "sha256", PS384: "sha384", PS512: "sha512",
  ES256: "sha256", ES384: "sha384", EdDSA: null,
};

/** Signs `header.payload` as `alg`; `pssSalt` overrides the PSS salt length. */
export function signInput(key: KeyObject, alg: TestAlg, input: string, pssSalt?: number): string {
  const data = Buffer.from(input);
  let sig: Buffer;
  if (alg.startsWith("RS")) sig = sign(HASH[alg], data, { key, padding: constants.RSA_PKCS1_PADDING });
  else if (alg.startsWith("PS")) sig = sign(HASH[alg], data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: pssSalt ?? constants.RSA_PSS_SALTLEN_DIGEST });
  else if (alg.startsWith("ES")) sig = sign(HASH[alg], data, { key, dsaEncoding: "ieee-p1363" });
  else sig = sign(null, data, key);
  return encodeB64url(sig);
}

export function segment(v: unknown): string {
  return encodeB64url(typeof v === "string" ? v : JSON.stringify(v));
}

export function token(key: TestKey, alg: TestAlg, claims: unknown, header: unknown = { alg, kid: key.kid, typ: "JWT" }): string {
  const input = `${segment(header)}.${segment(claims)}`;
  return `${input}.${signInput(key.privateKey, alg, input)}`;
}

export const NOW = 1_795_000_000;
export const ISS = "https://idp.test";
export const AUD = "https://api.test";
export const ARN = "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod";

export function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { iss: ISS, aud: AUD, exp: NOW + 600, iat: NOW - 60, client_id: "app", scope: "orders:read", ...extra };
}

export function policy(keys: { kid: string; status?: string; jwk: unknown }[], algorithms: string[] = ["RS256", "ES256", "EdDSA"]): Record<string, unknown> {
  return {
    schema: "gateway-policy/v1",
    revision: 7,
    issuers: [{ id: "idp", issuer: ISS, audiences: [AUD], algorithms, leeway_seconds: 30, keys: keys.map((k) => ({ kid: k.kid, status: k.status ?? "active", jwk: k.jwk })) }],
    clients: [
      { id: "app", status: "active", scopes: ["orders:read", "orders:write"] },
      { id: "gone", status: "suspended", scopes: ["orders:read"] },
    ],
    apis: [{ id: "orders", routes: [
      { route: "GET /orders", scopes: ["orders:read"] },
      { route: "GET /orders/{id}", scopes: ["orders:read"] },
      { route: "POST /orders", scopes: ["orders:write"] },
      { route: "GET /orders/export", scopes: ["orders:admin"] },
      { route: "GET /health", public: true },
    ] }],
  };
}

export function httpV2(method: string, path: string, authorization?: string): EventJson {
  return {
    version: "2.0", type: "REQUEST", routeArn: `${ARN}/${method}${path}`,
    headers: authorization === undefined ? {} : { authorization },
  };
}

/**
 * A modulus of exactly `bits` bits that is ≡ 65537^a mod M, M the product of the ROCA primes:
 * `65537^a + M·2^s·t`, the residue structure of every modulus of the vulnerable library.
 */
export function rocaShaped(bits: number, a: number, t: bigint): Buffer {
  let high = ROCA_PRIMES.reduce((m, p) => m * BigInt(p), 1n) * (t > 0n ? t : 1n);
  while (high.toString(2).length < bits) high *= 2n;
  const n = high + 65537n ** BigInt(a);
  const hex = n.toString(16);
  return Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, "hex");
}
