// Decision latency of the TypeScript build (the numbers in BENCHMARKS.md):
//   npm run compile-tests && node build/bench/bench.js
// Per algorithm: decide() on a valid token; then the whole event path (handleEvent) and a
// deny that stops at the signature. Median of batches, after a warm-up.

import { handleEvent } from "../src/apigw/response.js";
import { decide } from "../src/decision.js";
import { loadPolicy } from "../src/policy/load.js";
import { buildReport, encode, Ledger } from "../src/status/report.js";
import { Reporter, settingsForGateway } from "../src/status/reporter.js";
import { verifySignature } from "../src/token.js";
import { claims, generateKey, httpV2, ISS, NOW, policy, token, type TestAlg } from "../test/helpers.js";
import { measure } from "./measure.js";

const keys = { rsa: generateKey("rsa", "rsa"), ec: generateKey("ec", "p256"), ed: generateKey("ed", "ed25519") };
const text = JSON.stringify(policy(Object.values(keys).map((k) => ({ kid: k.kid, jwk: k.jwk })), ["RS256", "ES256", "EdDSA"]));
const t0 = process.hrtime.bigint();
const view = loadPolicy(text);
console.log(`policy load (3 keys, team-sized)       ${(Number(process.hrtime.bigint() - t0) / 1e3).toFixed(0)} µs (first, cold)`);

const cases: [string, TestAlg, (typeof keys)[keyof typeof keys]][] = [["RS256", "RS256", keys.rsa], ["ES256", "ES256", keys.ec], ["EdDSA", "EdDSA", keys.ed]];
for (const [name, alg, k] of cases) {
  const t = token(k, alg, claims());
  if (decide(view, "orders", { method: "GET", path: "/orders", token: t }, NOW).reason !== "ok") throw new Error(`${name} token not allowed`);
  measure(`decide ${name} (allow)`, () => decide(view, "orders", { method: "GET", path: "/orders/42", token: t }, NOW));
}
// The floor under the same load: node:crypto's verify alone, the key already imported.
for (const [name, alg, k] of cases) {
  const t = token(k, alg, claims());
  const [h = "", p = "", sig = ""] = t.split(".");
  const pub = view.issuerByUrl(ISS)?.keys.get(k.kid)?.public;
  if (pub === undefined) throw new Error("key");
  const input = `${h}.${p}`;
  const signature = Buffer.from(sig, "base64url");
  measure(`bare verify ${name} (floor)`, () => verifySignature(pub, alg, input, signature));
}
const rs = token(keys.rsa, "RS256", claims());
const event = httpV2("GET", "/orders/42", `Bearer ${rs}`);
measure("handleEvent HTTP 2.0 RS256 (allow)", () => handleEvent(view, "orders", event, NOW));
const rest = { type: "TOKEN", authorizationToken: `Bearer ${rs}`, methodArn: "arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/orders/42" };
measure("handleEvent REST TOKEN RS256 (allow)", () => handleEvent(view, "orders", rest, NOW));
const forged = `${rs.slice(0, -4)}AAAA`;
measure("decide RS256 forged (bad_signature)", () => decide(view, "orders", { method: "GET", path: "/orders", token: forged }, NOW));
measure("decide garbage (malformed_token)", () => decide(view, "orders", { method: "GET", path: "/orders", token: "a.b.c" }, NOW));

// Status reporting (docs/fleet.md): what a decision runs, and the report built off its path.
const reporter = new Reporter(settingsForGateway("orders", "orders"), () => ({ send: () => Promise.resolve() }), { syncBudgetMs: 50n, log: () => undefined });
reporter.onInvocation(false, 0n);
measure("status onInvocation, no report due", () => {
  reporter.onInvocation(false, 0n);
});
reporter.stop();
const ledger = new Ledger();
for (let i = 0n; i < 16n; i++) ledger.record(0, i, Buffer.from(`client/c${i}`), Buffer.from(`{"revision": ${i}}`), { op: "rejected", reason: "unsigned", detail: "a plain JSON event where the policy requires a signed one" }, 1n);
const identity = settingsForGateway("orders", "orders").identity;
measure("status build and encode (16 rejections)", () => encode(buildReport(identity, ledger, { revision: 42n, caughtUp: true, stale: false, stalenessMs: 3n }, "invocation", 1n, 60_000n, 1n)));

// A 10,000-client policy: load time (the cold-start part that grows with the policy).
const big = JSON.parse(text) as { clients: unknown[] };
for (let i = 0; i < 10_000; i++) big.clients.push({ id: `client-${i}`, status: "active", scopes: ["orders:read"] });
const bigText = JSON.stringify(big);
const t1 = process.hrtime.bigint();
loadPolicy(bigText);
console.log(`policy load (10,000 clients, ${(bigText.length / 1024).toFixed(0)} KiB)     ${(Number(process.hrtime.bigint() - t1) / 1e6).toFixed(1)} ms`);
console.log(`node ${process.version}, ${process.arch}`);
