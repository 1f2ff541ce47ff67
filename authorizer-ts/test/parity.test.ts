// Both builds on every conformance case: `decide` and `explain` through both CLIs must print
// the same bytes (effect, reason, principal and the whole response) and exit the same way.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { caseFiles } from "../src/conformance.js";
import { run, rust, skipRust } from "./rust.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const tsCli = fileURLToPath(new URL("../../dist/cli.js", import.meta.url));

test("decide and explain print the same bytes in both builds for every conformance case", { skip: skipRust }, () => {
  const dir = mkdtempSync(join(tmpdir(), "authz-parity-"));
  const files = caseFiles(join(repo, "conformance"));
  assert.ok(files.length >= 40);
  for (const file of files) {
    const c = JSON.parse(readFileSync(file, "utf8")) as { policy?: unknown; policy_file?: string; api_id: string; now: number; event: unknown };
    const policy = c.policy_file !== undefined ? join(repo, "conformance", c.policy_file) : join(dir, "policy.json");
    if (c.policy_file === undefined) writeFileSync(policy, JSON.stringify(c.policy));
    const event = join(dir, "event.json");
    writeFileSync(event, JSON.stringify(c.event));
    for (const cmd of ["decide", "explain"]) {
      const args = [cmd, "--policy", policy, "--api-id", c.api_id, "--event", event, "--now", String(c.now)];
      const r = rust(args);
      const t = run(process.execPath, [tsCli, ...args]);
      assert.equal(r.code, 0, `${file}: ${r.stderr}`);
      assert.deepEqual(t, r, `${cmd} ${file}`);
    }
  }
});

test("conformance/ through both CLIs: the same closing line and exit code", { skip: skipRust }, () => {
  const r = rust(["conformance", join(repo, "conformance")]);
  const t = run(process.execPath, [tsCli, "conformance", join(repo, "conformance")]);
  assert.match(r.stdout, /^\d+ passed, 0 failed$/m);
  assert.deepEqual(t, r);
});

test("validate prints the same lines in both builds", { skip: skipRust }, () => {
  const dir = mkdtempSync(join(tmpdir(), "authz-parity-validate-"));
  const docs = [
    readFileSync(join(repo, "conformance/policy.json"), "utf8"),
    '{"schema": ',
    '"not an object"',
    JSON.stringify({ schema: "gateway-policy/v2", revision: -1, clients: [{ id: "a", status: "paused", scope: ["x"] }, { id: "a", status: "active" }],
      apis: [{ id: "orders", routes: [{ route: "GET orders" }, { route: "GET /h", public: true, scopes: ["x"] }, { route: "GET /x/{a}" }, { route: "GET /x/{b}" }] }],
      issuers: [{ id: "i", issuer: "https://i", audiences: [], algorithms: ["HS256", "", "none", "ES512"], leeway_seconds: 301, keys: [{ kid: "k", status: "active", jwk: { kty: "oct", k: "c2VjcmV0" } }, { kid: "k", status: 3, jwk: { kty: "RSA", n: "AQAB", e: "AQAB" } }] }] }),
    '{"schema": "gateway-policy/v1", "revision": 1.0, "issuers": {"a": 1e3}}',
  ];
  for (const [i, text] of docs.entries()) {
    const p = join(dir, `p${i}.json`);
    writeFileSync(p, text);
    const r = rust(["validate", p]);
    const t = run(process.execPath, [tsCli, "validate", p]);
    assert.deepEqual(t, r, text);
  }
});
