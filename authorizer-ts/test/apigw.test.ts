import assert from "node:assert/strict";
import { test } from "node:test";

import { bearer, NOT_BEARER, parseMethodArn, type EventJson } from "../src/apigw/event.js";
import { glob } from "../src/apigw/iam.js";
import { handleEvent } from "../src/apigw/response.js";
import { decide } from "../src/decision.js";
import { loadPolicy } from "../src/policy/load.js";
import { ARN, claims, generateKey, NOW, policy, token } from "./helpers.js";

test("method ARNs", () => {
  const a = parseMethodArn("arn:aws:execute-api:eu-west-1:123:abc/prod/GET/orders/42");
  assert.ok(a !== undefined);
  assert.equal(a.stagePrefix, "arn:aws:execute-api:eu-west-1:123:abc/prod");
  assert.deepEqual([a.method, a.path], ["GET", "/orders/42"]);
  assert.equal(parseMethodArn("arn:aws:execute-api:eu-west-1:123:abc/$default/GET/")?.path, "/");
  for (const bad of ["arn:aws:lambda:eu-west-1:123:function:x", "garbage", "arn:aws:execute-api:r:a:abc/prod"]) assert.equal(parseMethodArn(bad), undefined);
});

test("the Bearer scheme, with Rust's trimming", () => {
  assert.equal(bearer("Bearer a.b.c"), "a.b.c");
  assert.equal(bearer("bearer   a.b.c "), "a.b.c");
  assert.equal(bearer("a.b.c"), "a.b.c");
  assert.equal(bearer(""), undefined);
  assert.equal(bearer("Bearer "), undefined);
  assert.equal(bearer("Basic dXNlcg=="), NOT_BEARER);
  // U+FEFF is not whitespace to Rust (JavaScript's trim would strip it); U+0085 is.
  assert.equal(bearer("\ufeffa.b.c"), "\ufeffa.b.c");
  assert.equal(bearer("\u0085a.b.c\u0085"), "a.b.c");
});

test("IAM globbing", () => {
  const g = glob;
  assert.ok(g("a/GET/orders/*", "a/GET/orders/42"));
  assert.ok(g("a/GET/orders/*", "a/GET/orders/42/x"));
  assert.ok(!g("a/GET/orders/*", "a/POST/orders/42"));
  assert.ok(g("a/*/files/*", "a/DELETE/files/x/y"));
  assert.ok(g("a/GET/", "a/GET/"));
  assert.ok(!g("a/GET/", "a/GET/x"));
  assert.ok(g("a/*", "a/"), "a `*` matches the empty run");
  assert.ok(g("a?c", "abc") && !g("a?c", "ac"));
  assert.ok(g("a/?", "a/\u00e9"), "`?` is one character, not one byte");
  // A `*` in the text is an ordinary character; a `*` in the pattern stays a wildcard.
  assert.ok(g("a*b", "a*xb"));
  assert.ok(g("GET/*/b", "GET/*x/b"));
  assert.ok(g("GET/*/b", "GET/x/*/b"));
  assert.ok(!g("GET/x", "GET/*"));
});

test("malformed events are denied", () => {
  for (const event of [null, {}, { type: "TOKEN" }, { type: "REQUEST", version: "2.0", routeArn: 7 }, [1, 2]] as EventJson[]) {
    assert.equal(handleEvent(undefined, "a", event, 0).decision.effect, "deny");
  }
});

/** What IAM does with a cached policy: an explicit deny wins, else an allow, else deny. */
function iamAllows(response: unknown, arn: string): boolean {
  const statements = (response as { policyDocument: { Statement: { Effect: string; Resource: string[] }[] } }).policyDocument.Statement;
  const hit = (effect: string) => statements.some((s) => s.Effect === effect && s.Resource.some((r) => glob(r, arn)));
  return !hit("Deny") && hit("Allow");
}

function cacheCheck(calls: readonly string[]): void {
  const k = generateKey("ec", "p256");
  const view = loadPolicy(JSON.stringify(policy([{ kid: "ec", jwk: k.jwk }], ["ES256"])));
  const scopeSets = ["", "orders:read", "orders:write", "orders:read orders:write", "orders:admin"];
  for (const scope of scopeSets) {
    const t = token(k, "ES256", claims({ scope }));
    for (const first of calls) {
      const [m1 = "", p1 = ""] = first.split(" ");
      const cached = handleEvent(view, "orders", { type: "TOKEN", authorizationToken: `Bearer ${t}`, methodArn: `${ARN}/${m1}${p1}` }, NOW).response;
      for (const next of calls) {
        const [m2 = "", p2 = ""] = next.split(" ");
        const fresh = decide(view, "orders", { method: m2, path: p2, token: t }, NOW).effect === "allow";
        if (iamAllows(cached, `${ARN}/${m2}${p2}`)) assert.ok(fresh, `scope "${scope}": cached for ${first}, then ${next}`);
        if (first === next) assert.equal(iamAllows(cached, `${ARN}/${m2}${p2}`), fresh, `scope "${scope}": ${first}`);
      }
    }
  }
}

const ROUTED = ["GET /orders", "GET /orders/1", "GET /orders/export", "POST /orders", "GET /health", "DELETE /orders/1"];

test("a cached REST policy never allows a call a fresh decision denies (every token, every route)", () => {
  cacheCheck(ROUTED);
});

// `GET/orders/*` would also cover deeper paths no route matches; the Denies of the route's
// stretched `{param}` cut them back.
test("... nor a deeper path that no route matches", () => {
  cacheCheck([...ROUTED, "GET /orders/1/x"]);
});

// Paths the router refuses, and IAM wildcards in paths, must not be allowed by a policy
// cached for another path.
test("... nor a refused path, nor a path with IAM wildcards in it", () => {
  cacheCheck([
    ...ROUTED, "GET /orders/1/x", "GET /orders/", "GET //orders", "GET /orders//1", "GET /orders/.", "GET /orders/..",
    "GET /orders/a%2Fb", "GET /orders/%2e", "GET /orders/a\\b", "GET /orders/*", "GET /orders/?", "GET /health/",
    "GET /", "FETCH /orders/1",
  ]);
});
