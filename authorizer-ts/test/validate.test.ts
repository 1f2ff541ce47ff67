// The Rust CLI's validation cases (authorizer/tests/cli.rs): the same paths and hints.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { loadPolicy } from "../src/policy/load.js";
import { PolicyErrors } from "../src/policy/validate.js";

function problems(doc: unknown): string {
  try {
    loadPolicy(doc instanceof Text ? doc.text : JSON.stringify(doc));
  } catch (e) {
    assert.ok(e instanceof PolicyErrors, String(e));
    return e.message;
  }
  assert.fail(`a broken policy must fail validation: ${JSON.stringify(doc)}`);
}

class Text {
  constructor(readonly text: string) {}
}

const base = (extra: Record<string, unknown>) => ({ schema: "gateway-policy/v1", revision: 1, ...extra });
const issuer = (patch: Record<string, unknown>) => base({ issuers: [{ id: "idp", issuer: "https://idp", audiences: ["a"], algorithms: ["ES256"], keys: [], ...patch }] });

test("validation names the path and the fix for each broken policy", () => {
  const cases: [unknown, string[]][] = [
    ["not an object", ["$: must be an object"]],
    [{ revision: 1 }, ["`schema` is required"]],
    [base({ schema: "gateway-policy/v9" }), ["$.schema", "gateway-policy/v1"]],
    [base({ revision: "7" }), ["$.revision", "whole number"]],
    [base({ client: [] }), ["$.client: unknown field", "clients"]],
    [issuer({ algorithms: ["HS256"] }), ["$.issuers[0].algorithms[0]", "shared-secret"]],
    [issuer({ algorithms: ["none"] }), ["$.issuers[0].algorithms[0]"]],
    [issuer({ audiences: [] }), ["$.issuers[0].audiences", "at least one"]],
    [issuer({ leeway_seconds: 9999 }), ["$.issuers[0].leeway_seconds", "0 to 300"]],
    [issuer({ keys: [{ kid: "k", status: "active", jwk: { kty: "oct", k: "c2VjcmV0" } }] }), ["$.issuers[0].keys[0].jwk", "private or secret"]],
    [issuer({ keys: [{ kid: "k", status: "active", jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }] }), ["$.issuers[0].keys[0].jwk", "2048"]],
    [issuer({ keys: [{ kid: "k", status: "active", jwk: { kty: "EC", crv: "P-256", x: "AA", y: "AA" } }] }), ["$.issuers[0].keys[0].jwk", "32 bytes"]],
    [issuer({ keys: [{ kid: "k", status: "expired", jwk: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" } }] }), ["$.issuers[0].keys[0].status", "retired"]],
    [base({ clients: [{ id: "a b", status: "active" }] }), ["$.clients[0].id", "not a usable id"]],
    [base({ clients: [{ id: "a", status: "active" }, { id: "a", status: "active" }] }), ["$.clients[1].id", "unique"]],
    [base({ apis: [{ id: "x", routes: [{ route: "GET orders" }] }] }), ["$.apis[0].routes[0].route", "start with '/'"]],
    [base({ apis: [{ id: "x", routes: [{ route: "FETCH /x" }] }] }), ["$.apis[0].routes[0].route", "FETCH"]],
    [base({ apis: [{ id: "x", routes: [{ route: "GET /a/{rest+}/b" }] }] }), ["$.apis[0].routes[0].route", "last segment"]],
    [base({ apis: [{ id: "x", routes: [{ route: "GET /a/{id}" }, { route: "GET /a/{other}" }] }] }), ["$.apis[0].routes[1].route", "same method and shape"]],
    [base({ apis: [{ id: "x", routes: [{ route: "GET /h", public: true, scopes: ["s"] }] }] }), ["$.apis[0].routes[0].scopes", "public route"]],
    [base({ publishers: [{ kid: "p", jwk: { kty: "EC", crv: "P-256", x: "b_qTt0JrlVM5jIyomWW5u_w56eeDscwr-NTw3NHrzBo", y: "wDAVYo27ZmS5IRXnQoIfjvLWG8o928zog1HBc0Kn5Mk" } }] }), ["$.publishers[0].jwk", "Ed25519"]],
    [base({ revision: 1.0 }), []],
  ];
  for (const [doc, needles] of cases.slice(0, -1)) {
    const text = problems(doc);
    for (const needle of needles) assert.ok(text.includes(needle), `expected ${needle} in:\n${text}`);
  }
  // Every problem at once, in the Rust build's order.
  assert.equal(
    problems(base({ revision: -1, clients: [{ id: "", status: "x" }] })),
    '$.revision: must be a whole number >= 0, found -1\n$.clients[0].id: "" is not a usable id; use 1-200 characters of letters, digits, \'.\', \'_\', \':\', \'@\' or \'-\'\n$.clients[0].status: must be "active" or "suspended"',
  );
  // A revision serde_json reads as a float is refused, as in Rust.
  assert.match(problems(new Text('{"schema": "gateway-policy/v1", "revision": 1.0}')), /\$\.revision: must be a whole number >= 0, found 1\.0/);
  assert.match(problems(new Text('{"schema": ')), /^\$: not valid JSON \(line 1, column \d+\)/);
});

test("the conformance policy is valid and keeps its exact revision", () => {
  const text = readFileSync(new URL("../../../conformance/policy.json", import.meta.url), "utf8");
  assert.equal(loadPolicy(text).revision, 42n);
  assert.match(text, /"revision": 42/);
  assert.equal(loadPolicy(text.replace('"revision": 42', '"revision": 18446744073709551615')).revision, 18446744073709551615n);
});
