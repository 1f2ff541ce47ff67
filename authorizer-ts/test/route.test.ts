import assert from "node:assert/strict";
import { test } from "node:test";

import { arnPatterns, intersect, parseRoute, pathRefusal, pathSegments, precedence, Router, shapePattern } from "../src/route.js";

function router(routes: string[]): Router {
  const r = new Router();
  routes.forEach((t, i) => r.insert(parseRoute(t), i));
  return r;
}

test("templates parse, and broken ones say why", () => {
  assert.equal(parseRoute("GET /").segments.length, 0);
  assert.throws(() => parseRoute("FETCH /x"), /FETCH/);
  assert.throws(() => parseRoute("GET orders"), /start with/);
  assert.throws(() => parseRoute("GET /a/{rest+}/b"), /last/);
  for (const bad of ["GET /a//b", "GET /a/x{id}", "GET /{id}/{id}", "/orders", "GET /{}", "GET /a/"]) assert.throws(() => parseRoute(bad), bad);
});

test("literal beats param beats greedy, and a method beats ANY", () => {
  const r = router(["GET /orders/{id}", "GET /orders/export", "ANY /files/{path+}", "GET /files/readme", "ANY /orders/{id}", "GET /"]);
  assert.equal(r.find("GET", ["orders", "42"]), 0);
  assert.equal(r.find("GET", ["orders", "export"]), 1);
  assert.equal(r.find("POST", ["orders", "export"]), 4);
  assert.equal(r.find("DELETE", ["files", "a", "b"]), 2);
  assert.equal(r.find("GET", ["files", "readme"]), 3);
  assert.equal(r.find("POST", ["files", "readme"]), 2);
  assert.equal(r.find("GET", ["files"]), undefined);
  assert.equal(r.find("GET", []), 5);
  assert.equal(r.find("GET", ["orders", "1", "2"]), undefined);
  assert.equal(router(["GET /a/b/c", "GET /a/{x}/d"]).find("GET", ["a", "b", "d"]), 1);
});

test("refuses paths it would otherwise normalise", () => {
  const r = router(["GET /orders/{id}", "GET /orders/export", "GET /"]);
  const find = (p: string) => r.find("GET", pathSegments(p));
  assert.equal(find("/"), 2);
  assert.equal(find("/orders/export"), 1);
  for (const p of ["/orders/export/", "/orders//export", "//orders/export", "/orders/.", "/orders/..", "/orders/a%2Fb", "/orders/%2e%2e", "/orders/a%5Cb", "/orders/a\\b"]) {
    assert.equal(find(p), undefined, p);
    assert.notEqual(pathRefusal(p), undefined, p);
  }
  // IAM wildcards are ordinary characters to the router.
  assert.equal(find("/orders/*"), 0);
  assert.equal(find("/orders/a?b"), 0);
  assert.equal(pathRefusal("/orders/*"), undefined);
  assert.equal(r.find("ANY", ["orders", "1"]), undefined);
  assert.equal(r.find("FETCH", ["orders", "1"]), undefined);
  assert.throws(() => parseRoute("GET /a/.."), /could never match: request paths with a "\." or "\.\." segment are refused/);
  assert.throws(() => parseRoute("GET /a/b%2Fc"), /could never match/);
  assert.throws(() => parseRoute("GET /a/b\\c"), /could never match: request paths with a '\\' are refused/);
});

test("precedence and intersection follow the router", () => {
  const t = (s: string) => parseRoute(s);
  assert.equal(precedence(t("GET /a/b"), t("GET /a/{x}")), -1);
  assert.equal(precedence(t("GET /a/{x}"), t("GET /a/{x+}")), -1);
  assert.equal(precedence(t("GET /a/{x}"), t("ANY /a/{x}")), -1);
  assert.equal(precedence(t("ANY /a/b"), t("GET /a/{x}")), -1);
  // Two greedy tails of the same shape: the method decides.
  assert.equal(precedence(t("GET /a/{x+}"), t("ANY /a/{y+}")), -1);
  assert.deepEqual(intersect(t("GET /{x}/{r+}").segments, t("GET /a/{y}/c").segments), t("GET /a/{y}/c").segments);
  assert.equal(intersect(t("GET /a/{x}").segments, t("GET /b/{y}").segments), undefined);
  assert.equal(intersect(t("GET /a/{x}").segments, t("GET /a/{y}/c").segments), undefined);
  assert.equal(shapePattern("GET", t("GET /a/{x}/{r+}").segments), "GET/a/*/*");
});

test("ARN patterns: one per method for ANY, '/' for the root", () => {
  const t = parseRoute("ANY /files/{path+}");
  assert.equal(arnPatterns(t).length, 7);
  assert.equal(arnPatterns(t)[0], "GET/files/*");
  assert.deepEqual(arnPatterns(parseRoute("GET /")), ["GET/"]);
});

test("a path made from a template routes back to it (random templates)", () => {
  let seed = 11;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let i = 0; i < 500; i++) {
    const segs = Array.from({ length: rand(6) }, (_, j) => (rand(2) === 0 ? { t: `{p${j}}`, p: "v1" } : { t: "abcdef".slice(0, rand(5) + 1), p: "" }));
    const text = `GET /${segs.map((s) => s.t).join("/")}`;
    const path = segs.map((s) => (s.p === "" ? s.t : s.p));
    const r = router([text]);
    assert.equal(r.find("GET", path), 0, text);
    assert.equal(r.find("POST", path), undefined, text);
  }
});
