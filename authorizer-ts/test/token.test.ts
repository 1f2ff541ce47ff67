// Token checks in the contract's order, and the attacks the Rust build refuses.
import assert from "node:assert/strict";
import { constants } from "node:crypto";
import { test } from "node:test";

import { handleEvent } from "../src/apigw/response.js";
import { decide, type Reason } from "../src/decision.js";
import { loadPolicy } from "../src/policy/load.js";
import { claims, generateKey, httpV2, NOW, policy, segment, signInput, token } from "./helpers.js";

const rsa = generateKey("rsa", "rsa");
const ec = generateKey("ec", "p256");
const ed = generateKey("ed", "ed25519");
const view = loadPolicy(JSON.stringify(policy([rsa, ec, ed].map((k) => ({ kid: k.kid, jwk: k.jwk }))), null, 1));

function reason(t: string | undefined, path = "/orders"): Reason {
  return decide(view, "orders", { method: "GET", path, token: t }, NOW).reason;
}

test("valid tokens of every key type are allowed", () => {
  for (const [k, alg] of [[rsa, "RS256"], [ec, "ES256"], [ed, "EdDSA"]] as const) assert.equal(reason(token(k, alg, claims())), "ok", alg);
});

test("any crit header, even null or empty, is malformed; so is a non-object header", () => {
  for (const header of [{ alg: "ES256", kid: "ec", crit: null }, { alg: "ES256", kid: "ec", crit: [] }, ["ES256", "ec"]]) {
    assert.equal(reason(token(ec, "ES256", claims(), header)), "malformed_token", JSON.stringify(header));
  }
});

test("each fault gets its reason code, the first in the contract's order", () => {
  const input = `${segment({ alg: "none" })}.${segment(claims())}`;
  const cases: [string | undefined, Reason][] = [
    [undefined, "missing_token"],
    ["a.b", "malformed_token"],
    ["x".repeat(8193), "malformed_token"],
    [`${input}.`, "disallowed_algorithm"],
    [token(rsa, "RS256", claims({ iss: "https://other" })), "unknown_issuer"],
    [token(rsa, "RS256", claims(), { alg: "RS256", kid: "nope" }), "unknown_key"],
    [token(rsa, "RS256", claims(), { alg: "ES256", kid: "rsa" }), "bad_signature"],
    [token(rsa, "RS256", claims({ exp: NOW - 31 })), "expired"],
    [token(rsa, "RS256", claims({ exp: NOW - 30 })), "ok"],
    [token(rsa, "RS256", claims({ exp: String(NOW + 600) })), "expired"],
    [token(rsa, "RS256", claims({ exp: undefined })), "expired"],
    [token(rsa, "RS256", claims({ nbf: NOW + 31 })), "not_yet_valid"],
    [token(rsa, "RS256", claims({ nbf: null })), "not_yet_valid"],
    [token(rsa, "RS256", claims({ aud: ["x", "https://api.test"] })), "ok"],
    [token(rsa, "RS256", claims({ aud: "x", exp: NOW - 100 })), "expired"],
    [token(rsa, "RS256", claims({ aud: "x" })), "wrong_audience"],
    [token(rsa, "RS256", claims({ client_id: "", azp: "app" })), "unknown_client"],
    [token(rsa, "RS256", claims({ client_id: 5, azp: "app" })), "ok"],
    [token(rsa, "RS256", claims({ client_id: "constructor" })), "unknown_client"],
    [token(rsa, "RS256", claims({ client_id: "gone" })), "client_suspended"],
    [token(rsa, "RS256", claims({ scope: null, scp: ["orders:read"] })), "insufficient_scope"],
    [token(rsa, "RS256", claims({ scope: undefined, scp: ["orders:read"] })), "ok"],
  ];
  for (const [t, want] of cases) assert.equal(reason(t), want, t?.slice(0, 60));
});

test("a PSS signature with another salt length than the digest's is refused, as aws-lc refuses it", () => {
  const k = generateKey("pss", "rsa");
  const v = loadPolicy(JSON.stringify(policy([{ kid: "pss", jwk: k.jwk }], ["PS256"])));
  const input = `${segment({ alg: "PS256", kid: "pss" })}.${segment(claims())}`;
  const at = (sig: string) => decide(v, "orders", { method: "GET", path: "/orders", token: `${input}.${sig}` }, NOW).reason;
  assert.equal(at(signInput(k.privateKey, "PS256", input)), "ok");
  assert.equal(at(signInput(k.privateKey, "PS256", input, constants.RSA_PSS_SALTLEN_MAX_SIGN)), "bad_signature");
});

test("an RSA key with e = 1 is refused at load; e = 3 verifies", () => {
  // e = 1: the "signature" would be the padded digest itself; OpenSSL alone would accept it.
  const k = generateKey("e1", "rsa");
  assert.throws(
    () => loadPolicy(JSON.stringify(policy([{ kid: "e1", jwk: { ...k.jwk, e: "AQ" } }], ["RS256"]))),
    /\$\.issuers\[0\]\.keys\[0\]\.jwk\.e: RSA exponent `e` is 1;/,
  );
  // e = 3 is an odd exponent aws-lc accepts.
  const e3 = generateKey("e3", "rsa", { exponent: 3 });
  const v3 = loadPolicy(JSON.stringify(policy([{ kid: "e3", jwk: e3.jwk }], ["RS256"])));
  assert.equal(decide(v3, "orders", { method: "GET", path: "/orders", token: token(e3, "RS256", claims()) }, NOW).reason, "ok");
});

test("a non-Bearer credential is malformed, yet public routes stay public", () => {
  assert.equal(handleEvent(view, "orders", httpV2("GET", "/orders", "Basic dXNlcg=="), NOW).decision.reason, "malformed_token");
  assert.equal(handleEvent(view, "orders", httpV2("GET", "/health", "Basic dXNlcg=="), NOW).decision.reason, "public_route");
});
