// Bundles the CLI and the Lambda handler with esbuild: Node 22, ES modules. The handler is
// dist/handler.mjs; the Kafka client is dist/kafka-worker.mjs (and its chunks in
// dist/chunks/), run on a worker thread when the policy stream starts: its import is costly
// and must not delay decisions.
import { rmSync } from "node:fs";

import { build } from "esbuild";

// Chunk names carry content hashes: old ones must not linger into the Lambda zip.
rmSync("dist/chunks", { recursive: true, force: true });

const common = { bundle: true, platform: "node", target: "node22", format: "esm", sourcemap: false, legalComments: "none", logLevel: "warning" };
await build({ ...common, entryPoints: ["src/cli.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node" } });
await build({
  ...common,
  entryPoints: { handler: "src/handler.ts", "kafka-worker": "src/stream/worker.ts" },
  outdir: "dist",
  outExtension: { ".js": ".mjs" },
  entryNames: "[name]",
  chunkNames: "chunks/[name]-[hash]",
  splitting: true,
  minify: true,
  // The wasm (CRC32C, compression) inlined rather than read from a path beside the bundle.
  alias: { "@platformatic/wasm-utils": "@platformatic/wasm-utils/bundled" },
  // The AWS SDK v3 is part of the Lambda Node.js runtime (MSK broker discovery only).
  external: ["@aws-sdk/client-kafka"],
  // CommonJS dependencies of the Kafka client call require() on Node built-ins (tty, ...).
  banner: { js: 'import{createRequire as __cr}from"node:module";const require=__cr(import.meta.url);' },
});
