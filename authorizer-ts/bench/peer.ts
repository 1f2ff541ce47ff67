// A second peer beside the decision (BENCHMARKS.md, "A second peer: aws-jwt-verify"): the JWT
// verification of aws-jwt-verify (AWS Labs), its JwtVerifier with the JWKS preloaded through
// cacheJwks (verifySync never fetches), against decide() on the very same token and key, and
// node:crypto's verify alone as the floor under both.
//   npm run compile-tests && node build/bench/peer.js
// aws-jwt-verify reads the real clock (Date.now), so the tokens here expire 10 minutes from
// now and decide() is given the same now. Before any timing, each side must accept the token
// and refuse a tampered signature, a wrong audience, a wrong issuer, an expired token and a
// header `alg` the key is not for; a verification that throws is not a benchmark.

import { readFileSync } from "node:fs";

import { JwtVerifier } from "aws-jwt-verify";
import type { Jwk } from "aws-jwt-verify/jwk";

import { decide } from "../src/decision.js";
import { loadPolicy } from "../src/policy/load.js";
import { verifySignature } from "../src/token.js";
import { AUD, claims, generateKey, ISS, policy, segment, signInput, token, type TestAlg, type TestKey } from "../test/helpers.js";
import { measureInterleaved } from "./measure.js";

const version = (JSON.parse(readFileSync(new URL("../../node_modules/aws-jwt-verify/package.json", import.meta.url), "utf8")) as { version?: unknown }).version;
const now = Math.floor(Date.now() / 1000);
const keys = { rsa: generateKey("rsa", "rsa"), ec: generateKey("ec", "p256"), ed: generateKey("ed", "ed25519") };
// The same policy as bench.ts (one issuer, three keys, leeway 30 s), PS256 allowed as in the
// Rust criterion fixture, where it shares the RSA key.
const view = loadPolicy(JSON.stringify(policy(Object.values(keys).map((k) => ({ kid: k.kid, jwk: k.jwk })), ["RS256", "PS256", "ES256", "EdDSA"])));
// The same issuer, audience and leeway for aws-jwt-verify; `scope` is its one scope check (a
// fixed list for the verifier; the decision takes the route's scopes and the client's grant).
// Each JWK carries the `alg` it is for: aws-jwt-verify's algorithm check is against the key.
const jwkFor = (k: TestKey, alg: string): Jwk => ({ ...k.jwk, kty: k.jwk.kty ?? "", kid: k.kid, alg, use: "sig" });
const verifier = JwtVerifier.create({ issuer: ISS, audience: AUD, scope: "orders:read", graceSeconds: 30 });
verifier.cacheJwks({ keys: [jwkFor(keys.rsa, "RS256"), jwkFor(keys.ec, "ES256"), jwkFor(keys.ed, "EdDSA")] });

/** The error aws-jwt-verify throws for `t`, or "accepted". */
function peerVerdict(t: string): string {
  try {
    verifier.verifySync(t);
    return "accepted";
  } catch (e: unknown) {
    return e instanceof Error ? e.constructor.name : "thrown";
  }
}
const decideReason = (t: string): string => decide(view, "orders", { method: "GET", path: "/orders/42", token: t }, now).reason;
/** The last six characters of the signature replaced (bench_fixtures' break_signature). */
const tamper = (t: string): string => `${t.slice(0, -6)}${t.endsWith("AAAAAA") ? "BBBBBB" : "AAAAAA"}`;

const good = claims({ exp: now + 600, iat: now - 60, scope: "orders:read orders:write" });
const cases: [TestAlg, TestKey][] = [["RS256", keys.rsa], ["PS256", keys.rsa], ["ES256", keys.ec], ["EdDSA", keys.ed]];
const peerSupports = (alg: TestAlg): boolean => alg !== "PS256";
console.log(`aws-jwt-verify ${String(version)}, node ${process.version}, ${process.arch}`);
for (const [alg, k] of cases) {
  const t = token(k, alg, good);
  if (decideReason(t) !== "ok") throw new Error(`${alg}: decide does not allow the token: ${decideReason(t)}`);
  const verdict = peerVerdict(t);
  if (peerSupports(alg) && verdict !== "accepted") throw new Error(`${alg}: aws-jwt-verify does not accept the token: ${verdict}`);
  if (!peerSupports(alg)) {
    console.log(`check ${alg}: aws-jwt-verify refuses the token (${verdict}): it verifies RS*, ES* and EdDSA only`);
    if (verdict === "accepted") throw new Error(`${alg}: aws-jwt-verify accepted an algorithm it does not list`);
    continue;
  }
  // The header `alg` swapped: RS384, correctly signed by the RSA key but on neither allow-list
  // (the issuer's for decide, the JWK's `alg` for aws-jwt-verify); for ES256 and EdDSA, the
  // other's name over the unchanged signature.
  const otherAlg: TestAlg = alg === "RS256" ? "RS384" : alg === "ES256" ? "EdDSA" : "ES256";
  const swappedInput = `${segment({ alg: otherAlg, kid: k.kid, typ: "JWT" })}.${segment(good)}`;
  const swapped = `${swappedInput}.${alg === "RS256" ? signInput(k.privateKey, "RS384", swappedInput) : (t.split(".")[2] ?? "")}`;
  const negatives: [string, string][] = [
    ["tampered signature", tamper(t)],
    ["wrong audience", token(k, alg, { ...good, aud: "https://other.test" })],
    ["wrong issuer", token(k, alg, { ...good, iss: "https://other-idp.test" })],
    ["expired", token(k, alg, { ...good, exp: now - 3600 })],
    ["not yet valid", token(k, alg, { ...good, nbf: now + 3600 })],
    [`header alg ${otherAlg} on the ${alg} key`, swapped],
  ];
  const results = negatives.map(([what, bad]) => {
    const [ours, theirs] = [decideReason(bad), peerVerdict(bad)];
    if (ours === "ok" || theirs === "accepted") throw new Error(`${alg} ${what}: decide ${ours}, aws-jwt-verify ${theirs}`);
    return `${what} (${ours} / ${theirs})`;
  });
  console.log(`check ${alg}: both accept the token; both refuse: ${results.join(", ")}`);
}
// Per algorithm, the three interleaved batch by batch (measure.ts): the machine's load falls
// on each alike.
for (const [alg, k] of cases) {
  const t = token(k, alg, good);
  const [h = "", p = "", sig = ""] = t.split(".");
  const pub = view.issuerByUrl(ISS)?.keys.get(k.kid)?.public;
  if (pub === undefined) throw new Error("key");
  const input = `${h}.${p}`;
  const signature = Buffer.from(sig, "base64url");
  if (!verifySignature(pub, alg, input, signature)) throw new Error(`${alg}: the floor does not verify`);
  const rows: [string, () => unknown][] = [[`decide ${alg} (same token)`, () => decide(view, "orders", { method: "GET", path: "/orders/42", token: t }, now)]];
  if (peerSupports(alg)) rows.push([`aws-jwt-verify ${alg} (verifySync)`, () => verifier.verifySync(t)]);
  rows.push([`bare verify ${alg} (floor)`, () => verifySignature(pub, alg, input, signature)]);
  measureInterleaved(rows);
}
