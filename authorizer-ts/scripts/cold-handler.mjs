// Cold start of the Lambda bundle without the emulator: a fresh Node process imports
// dist/handler.mjs (configuration, baked policy load) and decides one event. Prints the
// time from process start to the first decision and the peak RSS, for each of N runs.
//   node scripts/cold-handler.mjs POLICY.json CASE.json [N]
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const [policy, casePath, runs = "5"] = process.argv.slice(2);
const event = JSON.stringify(JSON.parse(readFileSync(casePath, "utf8")).event);
const child = `
const ev = JSON.parse(process.env.EVENT);
const t0 = performance.now();
const m = await import(${JSON.stringify(new URL("../dist/handler.mjs", import.meta.url).href)});
const t1 = performance.now();
await m.handler(ev, { awsRequestId: "cold" });
const t2 = performance.now();
console.error(JSON.stringify({ import_ms: t1 - t0, first_decision_ms: t2 - t1, process_to_decision_ms: t2, rss_mb: process.resourceUsage().maxRSS / 1024 }));`;
for (let i = 0; i < Number(runs); i++) {
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", child], {
    env: { ...process.env, EVENT: event, AUTHZ_API_ID: "orders", AUTHZ_POLICY_FILE: policy, AUTHZ_LOG_LEVEL: "error" },
    encoding: "utf8",
  });
  const m = JSON.parse(r.stderr.trim().split("\n").pop());
  console.log(Object.entries(m).map(([k, v]) => `${k} ${v.toFixed(1)}`).join("  "));
}
