import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "node:test";

import { runDir } from "../src/conformance.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));

test("the project's conformance cases pass through the TypeScript build", () => {
  const results = runDir(join(repo, "conformance"));
  assert.ok(results.length >= 40);
  assert.deepEqual(results.filter((r) => r.failure !== undefined), []);
});

test("a wrong expectation fails and names the case", () => {
  const c = JSON.parse(readFileSync(join(repo, "conformance/021-public-route.json"), "utf8")) as Record<string, unknown>;
  const dir = mkdtempSync(join(tmpdir(), "authz-ts-conf-"));
  writeFileSync(join(dir, "wrong.json"), JSON.stringify({ ...c, expect: { effect: "allow", reason: "ok" }, policy_file: join(repo, "conformance/policy.json") }));
  const [r] = runDir(dir);
  assert.match(r?.failure ?? "", /expected Allow\/ok, got Allow\/public_route/);
  assert.match(r?.file ?? "", /wrong\.json$/);
});
