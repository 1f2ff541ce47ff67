// Bundles the CLI and the Lambda handler with esbuild: one file each, Node 22, ES modules.
import { build } from "esbuild";

const common = { bundle: true, platform: "node", target: "node22", format: "esm", sourcemap: false, legalComments: "none", logLevel: "warning" };
await build({ ...common, entryPoints: ["src/cli.ts"], outfile: "dist/cli.js", banner: { js: "#!/usr/bin/env node" } });
await build({ ...common, entryPoints: ["src/handler.ts"], outfile: "dist/handler.mjs", minify: true });
