// Rust and TypeScript builds side by side, in one run on one machine (BENCHMARKS.md):
// decision latency per algorithm (criterion for Rust, build/bench/bench.js for TS), the
// second peer aws-jwt-verify beside both (build/bench/peer.js, the same token as TS decide),
// then cold start through aws-lambda-rie (spawn of the function → first decision returned),
// the two builds interleaved run by run so both see the same load. Prints the machine, the
// load and every command; asserts nothing.
//
//   npm run build && npm run compile-tests && node scripts/side-by-side.mjs [RUNS]
//   npm run compile-tests && node scripts/side-by-side.mjs decisions [ROUNDS]   (the decision
//     tables only, the peer's in ROUNDS rounds; scripts/bench/peer.sh, part of `make bench`)
// Environment: CARGO_TARGET_DIR (the Rust release build), RIE (aws-lambda-rie),
// KAFKA_BOOTSTRAP (adds cold starts with the policy stream on; a topic is created).
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";

const decisionsOnly = process.argv[2] === "decisions";
const RUNS = decisionsOnly ? 0 : Number(process.argv[2] ?? "10");
const PEER_ROUNDS = decisionsOnly ? Number(process.argv[3] ?? "3") : 1;
const root = new URL("../..", import.meta.url).pathname;
const cache = process.env.CACHE_DIR ?? join(process.env.HOME ?? "/root", ".cache", "team-gateway");
const target = process.env.CARGO_TARGET_DIR ?? join(cache, "cargo-target");
const bootstrap = join(target, "release", "bootstrap");
const authz = join(target, "release", "authz");
const rie = process.env.RIE ?? join(cache, "bin", "aws-lambda-rie");
const uptime = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { encoding: "utf8", maxBuffer: 64 << 20, ...opts });

console.log("## machine");
console.log(`${cpus().length} cores, ${cpus()[0]?.model}, node ${process.version}; load average at start ${uptime()}`);

// ---- decisions ---------------------------------------------------------------------------
console.log("\n## decision latency per algorithm");
const rustBench = readdirSync(join(target, "release", "deps")).filter((f) => /^decision-[0-9a-f]+$/.test(f)).map((f) => join(target, "release", "deps", f)).sort()[0];
/** One criterion run of the benchmarks matching `filter` (a regex): `fresh/RS256` → `24.0 µs`. */
function rustRun(filter) {
  const rows = {};
  if (rustBench === undefined) return rows;
  console.log(`$ ${rustBench} --bench '${filter}' --warm-up-time 1 --measurement-time 4  (load ${uptime()})`);
  // Criterion's progress lines go to stderr: kept off the output (and in the error if it fails).
  const out = sh(rustBench, ["--bench", filter, "--warm-up-time", "1", "--measurement-time", "4", "--noplot"], { cwd: join(root, "authorizer"), stdio: ["ignore", "pipe", "pipe"] });
  // `decision/fresh/RS256  time: [lo unit median unit hi unit]`; a long name puts `time:` on
  // the next line.
  for (const m of out.matchAll(/^decision\/([\w/]+)\s+time:\s+\[\S+ \S+ (\S+) (\S+)/gm)) rows[m[1]] = `${m[2]} ${m[3]}`;
  return rows;
}
if (rustBench === undefined) console.log("(no Rust criterion binary: cargo bench --bench decision --no-run first)");
const rust = rustRun("decision/");
/** A criterion figure (`12.3 µs`, `850 ns`) in µs. */
const micros = (figure) => {
  const [v, unit] = (figure ?? "").split(" ");
  const scale = { ns: 1e-3, "µs": 1, us: 1, ms: 1e3, s: 1e6 }[unit];
  return scale === undefined ? undefined : Number(v) * scale;
};
console.log(`$ node build/bench/bench.js  (load ${uptime()})`);
const tsOut = sh(process.execPath, ["build/bench/bench.js"], { cwd: join(root, "authorizer-ts") });
const ts = {};
for (const m of tsOut.matchAll(/^(decide|bare verify) (\w+) \((allow|floor)\)\s+median\s+([\d.]+)/gm)) ts[`${m[1]} ${m[2]}`] = `${m[4]} µs`;
console.log("| algorithm | Rust `decision/fresh/ALG` (criterion median) | TS `decide` (median of batches) | TS floor: `crypto.verify` alone |");
console.log("|---|---|---|---|");
for (const alg of ["RS256", "ES256", "EdDSA"]) console.log(`| ${alg} | ${rust[`fresh/${alg}`] ?? "—"} | ${ts[`decide ${alg}`] ?? "—"} | ${ts[`bare verify ${alg}`] ?? "—"} |`);
console.log(`load average after: ${uptime()}`);

// ---- a second peer: aws-jwt-verify ------------------------------------------------------------
// build/bench/peer.js checks first that aws-jwt-verify and decide() both accept its token and
// both refuse the tampered ones (it throws otherwise), then times the two and the floor on
// the same token, batch by batch interleaved.
console.log("\n## a second peer: aws-jwt-verify (JwtVerifier.verifySync, JWKS preloaded with cacheJwks)");
// Criterion and node run one after the other, so a change of load between them moves the
// Rust-to-Node ratios (not the two Node ones, interleaved batch by batch): in `decisions` mode
// ROUNDS (default 3) rounds of criterion `fresh`/`bare_verify` then peer.js, and the table
// gives the median of the rounds (ratios: median of the per-round ratios, min–max).
const rounds = [];
for (let r = 0; r < PEER_ROUNDS; r++) {
  const rustRows = r === 0 ? rust : rustRun("^decision/(fresh|bare_verify)/");
  console.log(`$ node build/bench/peer.js  (round ${r + 1}/${PEER_ROUNDS}, load ${uptime()})`);
  const peerOut = sh(process.execPath, ["build/bench/peer.js"], { cwd: join(root, "authorizer-ts") });
  if (r === 0) for (const line of peerOut.split("\n")) if (/^(aws-jwt-verify \d|check )/.test(line)) console.log(line);
  const peer = {};
  for (const m of peerOut.matchAll(/^(decide|aws-jwt-verify|bare verify) (\w+) \((?:same token|verifySync|floor)\)\s+median\s+([\d.]+)/gm)) peer[`${m[1]} ${m[2]}`] = Number(m[3]);
  rounds.push((key) => (key.startsWith("rust ") ? micros(rustRows[key.slice(5)]) : peer[key]));
}
const defined = (v) => v !== undefined && !Number.isNaN(v);
const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const cell = (key) => {
  const xs = rounds.map((get) => get(key)).filter(defined);
  return xs.length === 0 ? undefined : median(xs);
};
const us = (v) => (defined(v) ? `${v.toFixed(1)} µs` : "—");
const ratio = (top, bottom) => {
  const xs = rounds.map((get) => get(top) / get(bottom)).filter((v) => defined(v) && Number.isFinite(v)).sort((x, y) => x - y);
  if (xs.length === 0) return "—";
  return xs.length === 1 ? `${xs[0].toFixed(2)}×` : `${median(xs).toFixed(2)}× (${xs[0].toFixed(2)}–${xs.at(-1).toFixed(2)})`;
};
console.log(`${rounds.length} round(s); medians of the rounds`);
console.log("| algorithm | Rust `decision/fresh/ALG` | Rust `decision/bare_verify/ALG` (floor) | TS `decide` | aws-jwt-verify `verifySync` | TS floor: `crypto.verify` | aws-jwt-verify / Rust fresh | aws-jwt-verify / TS decide |");
console.log("|---|---|---|---|---|---|---|---|");
for (const alg of ["RS256", "PS256", "ES256", "EdDSA"]) {
  const theirs = cell(`aws-jwt-verify ${alg}`);
  const unsupported = theirs === undefined && cell(`decide ${alg}`) !== undefined;
  console.log(`| ${alg} | ${us(cell(`rust fresh/${alg}`))} | ${us(cell(`rust bare_verify/${alg}`))} | ${us(cell(`decide ${alg}`))} | ${unsupported ? "not supported (refuses the token)" : us(theirs)} | ${us(cell(`bare verify ${alg}`))} | ${ratio(`aws-jwt-verify ${alg}`, `rust fresh/${alg}`)} | ${ratio(`aws-jwt-verify ${alg}`, `decide ${alg}`)} |`);
}
console.log(`load average after: ${uptime()}`);
if (decisionsOnly) process.exit(0);

// ---- cold start ---------------------------------------------------------------------------
const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});
const connectable = (port) => new Promise((resolve) => {
  const sock = connect(port, "127.0.0.1", () => { sock.destroy(); resolve(true); });
  sock.on("error", () => resolve(false));
});
function childPid(parent) {
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      if (stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1] === String(parent)) return Number(e);
    } catch { /* gone */ }
  }
  return 0;
}
const peakRss = (pid) => Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

/** One cold start: the emulator started, then the first invoke (which starts the function). */
async function coldStart(command, env, event) {
  const [invokePort, apiPort] = [await freePort(), await freePort()];
  const p = spawn(rie, ["--log-level", "error", "--runtime-interface-emulator-address", `127.0.0.1:${invokePort}`, "--runtime-api-address", `127.0.0.1:${apiPort}`, ...command], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, stdio: ["ignore", "pipe", "pipe"],
  });
  let logs = "";
  p.stdout.on("data", (d) => { logs += d; });
  p.stderr.on("data", (d) => { logs += d; });
  try {
    for (let i = 0; !(await connectable(invokePort)); i++) {
      if (i > 5000) throw new Error(`emulator did not listen:\n${logs}`);
      await new Promise((r) => setTimeout(r, 1));
    }
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${invokePort}/2015-03-31/functions/function/invocations`, { method: "POST", body: event });
    const body = await res.json();
    const ms = performance.now() - t0;
    const child = childPid(p.pid);
    return { ms, rss: child === 0 ? 0 : peakRss(child), reason: body?.context?.reason ?? body?.context?.denyReason ?? (body?.isAuthorized === true ? "allow" : "deny") };
  } finally {
    p.kill("SIGTERM");
    await new Promise((r) => p.on("exit", r));
  }
}

const dir = mkdtempSync(join(tmpdir(), "side-by-side-"));
const conformanceCase = JSON.parse(readFileSync(join(root, "conformance", "001-http-v2-rs256-ok.json"), "utf8"));
const event = JSON.stringify(conformanceCase.event);
const small = join(root, "conformance", "policy.json");
const large = join(dir, "large-policy.json");
const gen = join(target, "release", "examples", "gen_large_policy");
if (existsSync(gen)) sh(gen, [large]);
const node = [process.execPath, join(root, "authorizer-ts", "scripts", "lambda-runtime.mjs"), join(root, "authorizer-ts", "dist", "handler.mjs")];
const builds = { rust: [bootstrap], nodejs: node };
const setups = [["team-sized (conformance policy)", small, "orders", {}]];
if (existsSync(large)) setups.push(["10,000 clients, 1,000 APIs, 100 keys", large, "api-001", {}]);
if (process.env.KAFKA_BOOTSTRAP !== undefined) {
  const topic = `side-by-side-${Date.now()}`;
  sh(authz, ["topic", "create", "--brokers", process.env.KAFKA_BOOTSTRAP, "--topic", topic, "--replication-factor", "1"]);
  sh(authz, ["publish", "--brokers", process.env.KAFKA_BOOTSTRAP, "--topic", topic, small]);
  setups.push(["team-sized, policy stream on (real broker)", small, "orders", { AUTHZ_KAFKA_BROKERS: process.env.KAFKA_BOOTSTRAP, AUTHZ_KAFKA_TOPIC: topic, AUTHZ_KAFKA_AUTH: "plaintext" }]);
}
console.log(`\n## cold start through aws-lambda-rie: first invoke (function spawn + init + first decision), ${RUNS} runs each, interleaved`);
console.log(`$ node scripts/side-by-side.mjs ${RUNS}  (event: conformance/001-http-v2-rs256-ok.json; load ${uptime()})`);
console.log("| policy | build | median (min–max) | peak RSS median | decision |");
console.log("|---|---|---|---|---|");
for (const [name, policyFile, apiId, extra] of setups) {
  const results = { rust: [], nodejs: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const [build, command] of Object.entries(builds)) {
      results[build].push(await coldStart(command, { AUTHZ_API_ID: apiId, AUTHZ_POLICY_FILE: policyFile, AUTHZ_LOG_LEVEL: "error", ...extra }, event));
    }
  }
  for (const [build, rs] of Object.entries(results)) {
    const ms = rs.map((r) => r.ms).sort((a, b) => a - b);
    const rss = rs.map((r) => r.rss).sort((a, b) => a - b);
    const med = (xs) => xs[xs.length >> 1];
    console.log(`| ${name} | ${build} | ${med(ms).toFixed(1)} ms (${ms[0].toFixed(1)}–${ms.at(-1).toFixed(1)}) | ${med(rss).toFixed(1)} MB | ${rs[0].reason} |`);
  }
}
console.log(`load average at the end: ${uptime()}`);

