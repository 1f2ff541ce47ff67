// The Lambda function (nodejs22.x), handler `handler.handler`: init once per execution
// environment (runtime.ts), then one decision per invocation.

import type { EventJson } from "./apigw/event.js";
import { toJsonSafe } from "./json.js";
import { init } from "./runtime.js";

// The Kafka client's worker is bundled beside this module (scripts/build.mjs).
const authorizer = init(process.env, new URL("./kafka-worker.mjs", import.meta.url));

/** The Lambda entry point (`handler.handler`). */
export async function handler(event: unknown, context?: { awsRequestId?: string }): Promise<unknown> {
  return toJsonSafe(await authorizer.handle(event as EventJson, context?.awsRequestId ?? ""));
}
