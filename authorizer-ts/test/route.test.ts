import assert from "node:assert/strict";
import { test } from "node:test";

import { arnPatterns, parseRoute, Router } from "../src/route.js";

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
