// The Lambda handler (nodejs22.x): the baked policy is loaded once at init, every event is
// decided against it. The policy stream is not part of this build yet.

import { readFileSync } from "node:fs";

import { handleEvent } from "./apigw/response.js";
import type { EventJson } from "./apigw/event.js";
import type { Out } from "./json.js";
import { loadPolicy } from "./policy/load.js";
import type { PolicyView } from "./policy/view.js";

const apiId = process.env.AUTHZ_API_ID ?? "";
const policyFile = process.env.AUTHZ_POLICY_FILE ?? "/opt/gateway-policy.json";

function loadBaked(): PolicyView | undefined {
  try {
    return loadPolicy(readFileSync(policyFile, "utf8"));
  } catch (e) {
    // No valid baked policy: start anyway and deny everything with `no_policy`.
    console.error(JSON.stringify({ level: "error", msg: "baked policy not loaded", file: policyFile, error: e instanceof Error ? e.message : String(e) }));
    return undefined;
  }
}

const view = loadBaked();

/** Lambda entry point. */
export function handler(event: unknown): Out {
  return handleEvent(view, apiId, event as EventJson, Math.floor(Date.now() / 1000)).response;
}
