// Generated policies, tokens and events for the differential test: mostly well-formed, many
// hostile (forged and tampered signatures, `none`/HMAC, key confusion, `crit`, odd base64,
// non-UTF-8 and BOM payloads, deep nesting, lone surrogates, out-of-range numbers, claim
// types, Unicode whitespace, header spellings, odd ARNs), each with a seeded PRNG so a
// failure names a case that can be generated again.


import { encodeB64url } from "../src/b64.js";
import { ARN, AUD, generateKey, ISS, NOW, rocaShaped, signInput, type TestAlg, type TestKey } from "./helpers.js";

const ROCA_2048 = encodeB64url(rocaShaped(2048, 97, 1n));

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // xorshift32
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 2 ** 32;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error("empty");
    return items[this.int(items.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

interface Keyed {
  readonly key: TestKey;
  readonly algs: readonly TestAlg[];
  /** The JWK as the policy lists it (possibly altered). */
  readonly jwk: Record<string, string>;
}

/** Keys made once per run: every family (keys refused at load are among breakPolicy's edits). */
export function makeKeys(): Keyed[] {
  const rsa = generateKey("rsa", "rsa");
  const rsa3 = generateKey("rsa-e3", "rsa", { exponent: 3 });
  const p256 = generateKey("p256", "p256");
  const p384 = generateKey("p384", "p384");
  const ed = generateKey("ed", "ed25519");
  const list: Keyed[] = [
    { key: rsa, algs: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"], jwk: rsa.jwk },
    { key: rsa3, algs: ["RS256", "PS256"], jwk: rsa3.jwk },
    { key: p256, algs: ["ES256"], jwk: p256.jwk },
    { key: p384, algs: ["ES384"], jwk: p384.jwk },
    { key: ed, algs: ["EdDSA"], jwk: ed.jwk },
  ];
  return list.map((k) => ({ ...k, jwk: { ...k.jwk } }));
}

/** Flips the low bit of the last byte of a base64url member. */
function flipLowBit(text: string | undefined): string {
  const bytes = Buffer.from(text ?? "", "base64url");
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] ?? 0) ^ 1;
  return encodeB64url(bytes);
}

/** JWKs each refused at load for one of the key checks (with the member at fault). */
function refusedJwks(keys: readonly Keyed[]): Record<string, unknown>[] {
  const rsa = keys.find((k) => k.key.kid === "rsa")?.jwk ?? {};
  const p256 = keys.find((k) => k.key.kid === "p256")?.jwk ?? {};
  const ed = keys.find((k) => k.key.kid === "ed")?.jwk ?? {};
  return [
    { ...rsa, e: "AQ" },
    { ...rsa, e: "Ag" },
    { ...rsa, e: "AQAAAAE" },
    { ...rsa, e: "AQAB=" },
    { ...p256, y: `${p256.y ?? ""}=` },
    { ...rsa, n: flipLowBit(rsa.n) },
    { ...rsa, n: `fw${(rsa.n ?? "").slice(2)}` },
    { ...rsa, n: ROCA_2048 },
    { ...rsa, dq: "AQAB" },
    { ...p256, y: flipLowBit(p256.y) },
    { ...p256, x: encodeB64url(Buffer.alloc(32, 0xff)) },
    { ...p256, y: "AAAA" },
    { ...p256, key_ops: ["encrypt"] },
    { ...p256, key_ops: ["sign"] },
    { ...p256, key_ops: "verify" },
    { ...p256, key_ops: ["verify", "verify"] },
    { ...p256, use: "enc", key_ops: ["wrapKey"], alg: "RS256" },
    { ...p256, alg: 7 },
    { ...ed, alg: "ES384" },
    { ...ed, x: "AAAA" },
    { ...rsa, use: "enc", key_ops: ["encrypt"], alg: "HS256", e: "AQ" },
    { kty: 5 },
    { kty: "EC", crv: null, x: "AA", y: "AA" },
    { kty: "OKP", x: "AA" },
  ];
}

export interface GeneratedCase {
  readonly name: string;
  readonly apiId: string;
  readonly now: number;
  /** The policy as JSON text (it may be invalid on purpose). */
  readonly policy: string;
  /** The event as JSON text. */
  readonly event: string;
}

const ALL_ALGS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"];
const SCOPES = ["orders:read", "orders:write", "files:read", "admin"];
const ROUTES = [
  "GET /orders", "GET /orders/{id}", "GET /orders/export", "POST /orders", "ANY /files/{path+}", "GET /files/readme",
  "ANY /orders/{id}", "GET /", "DELETE /orders/{id}/items/{item}", "PUT /a/{x}/b",
];

function policyFor(rng: Rng, keys: readonly Keyed[]): Record<string, unknown> {
  const statuses = ["active", "active", "retired", "revoked"];
  const picked = ALL_ALGS.filter(() => rng.chance(0.7));
  const algorithms = picked.length > 0 ? picked : ["ES256"];
  const routes = ROUTES.filter(() => rng.chance(0.7)).map((route) => {
    if (rng.chance(0.15)) return { route, public: true };
    return { route, scopes: SCOPES.filter(() => rng.chance(0.3)) };
  });
  const policy: Record<string, unknown> = {
    schema: "gateway-policy/v1",
    revision: 0,
    issuers: [
      {
        id: "idp", issuer: ISS, audiences: [AUD, "aud-2"], algorithms,
        ...(rng.chance(0.3) ? { client_id_claims: rng.pick([["azp"], ["client_id"], ["cid", "client_id"], ["constructor"]]) } : {}),
        leeway_seconds: rng.pick([0, 30, 300]),
        // Only keys an allowed algorithm fits: any other key is refused at load.
        keys: keys.filter((k) => k.algs.some((a) => algorithms.includes(a))).map((k) => {
          const fitting = k.algs.filter((a) => algorithms.includes(a));
          return { kid: k.key.kid, status: rng.pick(statuses), jwk: rng.chance(0.1) ? { ...k.jwk, alg: rng.pick(fitting) } : k.jwk };
        }),
      },
    ],
    clients: [
      { id: "app", status: "active", scopes: SCOPES.filter(() => rng.chance(0.6)) },
      { id: "other", status: rng.pick(["active", "suspended"]), scopes: ["orders:read"] },
      { id: "gone", status: "suspended", scopes: SCOPES },
    ],
    apis: [{ id: "orders", routes }, { id: "billing", routes: [{ route: "GET /orders", scopes: [] }] }],
  };
  return policy;
}

/** Hostile edits of an otherwise valid policy: the validation messages must match too. */
function breakPolicy(rng: Rng, p: Record<string, unknown>, keys: readonly Keyed[]): string {
  const issuers = p.issuers as Record<string, unknown>[];
  const issuer = issuers[0] ?? {};
  const edits: (() => void)[] = [
    () => { p.revision = -1; },
    () => { p.revision = 1.5; },
    () => { p.schema = "gateway-policy/v2"; },
    () => { issuer.algorithms = ["HS256", "none", "ES512", "RS256", "RS256"]; },
    () => { issuer.leeway_seconds = 301; },
    () => { (issuer.keys as Record<string, unknown>[]).push({ kid: "bad", status: "active", jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }); },
    () => { (issuer.keys as Record<string, unknown>[]).push({ kid: "bad", status: "active", jwk: { kty: "EC", crv: "P-521", x: "AA", y: "AA" } }); },
    () => { (issuer.keys as Record<string, unknown>[]).push({ kid: "bad", status: "old", jwk: { kty: "oct", k: "c2VjcmV0" } }); },
    () => { (issuer.keys as Record<string, unknown>[]).push({ kid: "x", status: "active", jwk: { kty: "OKP", crv: "Ed25519", x: "AAAA=", use: "enc" } }); },
    () => { (p.clients as unknown[]).push({ id: "app", status: "active" }, { id: "a b", status: 1, scope: [] }); },
    () => { (p.apis as unknown[]).push({ id: "x", routes: [{ route: "GET orders" }, { route: "FETCH /x" }, { route: "GET /a/{r+}/b" }, { route: "GET /{a}" }, { route: "GET /{b}" }] }); },
    () => { issuers.push({ ...issuer, id: "idp2" }); },
    () => { p.publishers = [{ kid: "p", jwk: (issuer.keys as { jwk: unknown }[])[0]?.jwk }]; },
    () => { (issuer.keys as Record<string, unknown>[]).push({ kid: "refused", status: "active", jwk: rng.pick(refusedJwks(keys)) }); },
    () => { issuer.algorithms = ["EdDSA"]; },
  ];
  rng.pick(edits)();
  let text = JSON.stringify(p);
  if (rng.chance(0.2)) text = text.replace('"revision":', '"revision": 1.0, "extra":');
  return text;
}

function b64json(v: unknown): string {
  return encodeB64url(typeof v === "string" ? v : JSON.stringify(v));
}

function tokenFor(rng: Rng, keys: readonly Keyed[]): string {
  const k = rng.pick(keys);
  const alg: string = rng.chance(0.9) ? rng.pick(k.algs) : rng.pick([...ALL_ALGS, "HS256", "none", "ES512"]);
  const claims: Record<string, unknown> = {
    iss: rng.chance(0.95) ? ISS : rng.pick(["https://other", "", 5]),
    aud: rng.pick<unknown>([AUD, [AUD], ["x", "aud-2"], "x", 7, [1, AUD], null]),
    exp: rng.pick<unknown>([NOW + 600, NOW - 29, NOW - 31, NOW - 301, NOW + 0.5, String(NOW + 600), null, 1e300, -1]),
    client_id: rng.pick<unknown>(["app", "app", "other", "gone", "", 5, "constructor", "__proto__", "nobody"]),
    scope: rng.pick<unknown>(["orders:read", "orders:read orders:write", "admin files:read orders:write", "orders:read\u000borders:write", "orders:read\u00a0admin", " orders:read  ", ["orders:read"], null, 3]),
  };
  if (rng.chance(0.3)) claims.nbf = rng.pick<unknown>([NOW + 10, NOW + 400, null, "soon", NOW - 10]);
  if (rng.chance(0.2)) claims.azp = rng.pick(["app", "other"]);
  if (rng.chance(0.2)) claims.scp = rng.pick<unknown>([["orders:write", "admin"], "orders:write", 1]);
  if (rng.chance(0.1)) delete claims.exp;
  if (rng.chance(0.1)) delete claims.scope;
  const header: Record<string, unknown> = { alg, typ: "JWT" };
  if (rng.chance(0.93)) header.kid = rng.chance(0.95) ? k.key.kid : rng.pick(["nope", "", 7]);
  if (rng.chance(0.05)) header.crit = rng.pick<unknown>([null, [], ["exp"]]);
  if (rng.chance(0.05)) header.jku = "https://attacker.example/jwks.json";
  if (rng.chance(0.05)) header.jwk = k.jwk;
  let h64 = b64json(header);
  let p64 = b64json(claims);
  // Raw segment tricks, before signing (so the signature covers them).
  const raw = rng.int(20);
  if (raw === 0) p64 = encodeB64url(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(claims))]));
  else if (raw === 1) p64 = encodeB64url(Buffer.from([0x7b, 0xff, 0x7d]));
  else if (raw === 2) p64 = b64json(`${"[".repeat(126)}${JSON.stringify(claims)}${"]".repeat(126)}`.replace(/^\[+/, (m) => m) );
  else if (raw === 3) p64 = b64json(JSON.stringify(claims).replace('"iss"', '"x":"\\ud800","iss"'));
  else if (raw === 4) p64 = b64json(JSON.stringify(claims).replace('"iss"', '"x":1e400,"iss"'));
  else if (raw === 5) p64 = b64json(JSON.stringify(claims).replace('"iss"', `"x":${"[".repeat(127)}${"]".repeat(127)},"iss"`));
  else if (raw === 6) p64 = b64json(JSON.stringify(claims).replace('"iss"', `"x":${"[".repeat(126)}${"]".repeat(126)},"iss"`));
  else if (raw === 7) p64 = b64json(JSON.stringify(claims).replace('"client_id":', '"client_id":"nobody","client_id":'));
  else if (raw === 8) h64 = b64json(["RS256"]);
  else if (raw === 9) p64 = b64json([claims]);
  else if (raw === 10) p64 = b64json(JSON.stringify(claims).replace("{", '{"pad":"' + "x".repeat(rng.pick([5000, 5400, 6200])) + '",'));
  const input = `${h64}.${p64}`;
  let sig: string;
  const signAs = (ALL_ALGS.includes(alg) ? alg : rng.pick(k.algs)) as TestAlg;
  if (alg === "none") sig = "";
  else if (rng.chance(0.1) && signAs.startsWith("PS") && k.algs.includes(signAs)) sig = signInput(k.key.privateKey, signAs, input, -2 /* RSA_PSS_SALTLEN_MAX_SIGN */);
  else if (k.algs.includes(signAs)) sig = signInput(k.key.privateKey, signAs, input);
  else sig = signInput(k.key.privateKey, rng.pick(k.algs), input);
  let t = `${input}.${sig}`;
  const post = rng.int(25);
  if (post === 0) t = `${input}.${sig.slice(0, -2)}${sig.slice(-2) === "AA" ? "AB" : "AA"}`; // forged
  else if (post === 1) t = `${h64}.${b64json({ ...claims, scope: "admin" })}.${sig}`; // tampered
  else if (post === 2) t = `${input}.${sig}=`;
  else if (post === 3) t = input;
  else if (post === 4) t = `${input}.${sig}.x`;
  else if (post === 5) t = `${h64}=.${p64}.${sig}`;
  else if (post === 6 && sig.length % 4 !== 0) t = `${input}.${sig.slice(0, -1)}${sig.slice(-1) === "A" ? "B" : "A"}`; // spare bits
  else if (post === 7) t = `${input}.${sig}`.replace(/^./, "+");
  else if (post === 8) t = `.${p64}.${sig}`;
  return t;
}

function authorization(rng: Rng, t: string): string | undefined {
  return rng.pick<string | undefined>([
    `Bearer ${t}`, `Bearer ${t}`, `Bearer ${t}`, `bearer ${t}`, `BEARER   ${t}  `, t, `Bearer\t${t}`, `\u0085Bearer ${t}\u0085`,
    `\ufeffBearer ${t}`, "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "", undefined, `Token ${t}`,
  ]);
}

function arn(rng: Rng, method: string, path: string): string {
  return rng.pick([
    `${ARN}/${method}${path}`, `${ARN}/${method}${path}`, `${ARN}/${method}${path}`, `${ARN}/${method}${path}/`,
    `${ARN}/${method}/${path}`, `${ARN}/${method.toLowerCase()}${path}`, `${ARN}/ANY${path}`, `arn:aws:execute-api:eu-west-1:1:abc//${method}${path}`,
    "arn:aws:lambda:eu-west-1:1:function:x", `${ARN}/${method}`, "garbage",
  ]);
}

const PATHS = ["/orders", "/orders/42", "/orders/export", "/files/a/b", "/files/readme", "/", "/orders/1/items/2", "/a/1/b", "/nope", "/orders/%2e%2e", "/ORDERS"];
const METHODS = ["GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];

function eventFor(rng: Rng, t: string): Record<string, unknown> {
  const method = rng.pick(METHODS);
  const path = rng.pick(PATHS);
  const auth = authorization(rng, t);
  const shape = rng.int(6);
  const headers = (): Record<string, unknown> => {
    if (auth === undefined) return {};
    const h: Record<string, unknown> = {};
    const spelling = rng.pick(["authorization", "Authorization", "AUTHORIZATION"]);
    h[spelling] = auth;
    if (rng.chance(0.1)) h.authorization = `Bearer ${rng.pick(["x.y.z", t])}`;
    if (rng.chance(0.05)) h[spelling] = 42;
    return h;
  };
  if (shape === 0) return { type: "TOKEN", authorizationToken: auth, methodArn: arn(rng, method, path) };
  if (shape === 1) return { type: "REQUEST", methodArn: arn(rng, method, path), headers: headers(), ...(rng.chance(0.1) ? { version: 2 } : {}) };
  if (shape === 2) return { version: "1.0", type: "REQUEST", methodArn: arn(rng, method, path), headers: headers() };
  if (shape === 3) return { version: "2.0", type: "REQUEST", routeArn: arn(rng, method, path), identitySource: auth === undefined ? [] : [auth], headers: {} };
  if (shape === 4 && rng.chance(0.2)) return rng.pick<Record<string, unknown>>([{ type: "WEIRD" }, { version: "3.0", type: "REQUEST" }, { type: "REQUEST", version: "2.0", routeArn: 7 }]);
  return { version: "2.0", type: "REQUEST", routeArn: arn(rng, method, path), headers: headers() };
}

/** `count` cases from `seed`. */
export function generateCases(seed: number, count: number, keys: readonly Keyed[]): GeneratedCase[] {
  const rng = new Rng(seed);
  const out: GeneratedCase[] = [];
  for (let i = 0; i < count; i++) {
    const p = policyFor(rng, keys);
    const revision = rng.pick(["0", "1", "42", "9007199254740993", "18446744073709551615"]);
    const policy = (rng.chance(0.12) ? breakPolicy(rng, p, keys) : JSON.stringify(p)).replace('"revision":0', `"revision":${revision}`);
    const event = JSON.stringify(eventFor(rng, tokenFor(rng, keys)));
    out.push({ name: `seed ${seed} case ${i}`, apiId: rng.pick(["orders", "orders", "orders", "billing", "nope"]), now: NOW, policy, event });
  }
  return out;
}
