// Decide an authorizer event and build API Gateway's response (authorizer/src/apigw.rs).

import { decide, decision, type Decision } from "../decision.js";
import type { Out } from "../json.js";
import type { Api, PolicyView } from "../policy/view.js";
import { NOT_BEARER, readEvent, type EventJson, type MethodArn, type Shape } from "./event.js";
import { iamStatements } from "./iam.js";

/** Extra facts about the decision that go into the response context. */
export interface Served {
  /** The policy view was not confirmed fresh within the staleness bound. */
  readonly stale: boolean;
}

/** One handled event: the decision and the response for API Gateway. */
export interface Outcome {
  readonly decision: Decision;
  readonly shape: Shape | undefined;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly response: Out;
}

export function handleEvent(view: PolicyView | undefined, apiId: string, event: EventJson, now: number, served: Served = { stale: false }): Outcome {
  const incoming = readEvent(event);
  let d: Decision;
  if (incoming.shape !== undefined && incoming.arn !== undefined) {
    const { method, path } = incoming.arn;
    // A credential of another scheme: the route still decides first (public routes stay
    // public), then the empty token is a malformed one.
    const token = incoming.token === NOT_BEARER ? "" : incoming.token;
    d = decide(view, apiId, { method, path, token }, now);
  } else {
    // No recognisable event or ARN: nothing to match a route against.
    d = { ...decision(view === undefined ? "no_policy" : "unknown_route", view?.revision ?? 0n), effect: "deny" };
  }
  const api = view?.api(apiId);
  return {
    decision: d,
    shape: incoming.shape,
    method: incoming.arn?.method,
    path: incoming.arn?.path,
    response: buildResponse(incoming.shape, incoming.arn, api, d, served),
  };
}

function context(d: Decision, served: Served): Record<string, Out> {
  const ctx: Record<string, Out> = {};
  if (d.principal !== undefined) {
    ctx.principal = d.principal;
    ctx.clientId = d.principal;
  }
  ctx.scopes = d.scopes.join(" ");
  ctx.policyRevision = d.revision;
  ctx.reason = d.reason;
  ctx.stale = served.stale;
  return ctx;
}

function buildResponse(shape: Shape | undefined, arn: MethodArn | undefined, api: Api | undefined, d: Decision, served: Served): Out {
  const ctx = context(d, served);
  if (shape === "http_v2") return { isAuthorized: d.effect === "allow", context: ctx };
  return {
    principalId: d.principal ?? "anonymous",
    policyDocument: {
      Version: "2012-10-17",
      Statement: iamStatements(arn, api, d).map((s) => ({ Action: s.Action, Effect: s.Effect, Resource: s.Resource })),
    },
    context: ctx,
  };
}
