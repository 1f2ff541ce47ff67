// The decision: (request, policy, now) -> Decision. Pure: no I/O, no clock, no globals.
// Checks run in the order of the reason-code table in the conformance README, so a request
// with several faults is denied with the first one's code (authorizer/src/decision.rs).

import { debugList } from "./json.js";
import type { PolicyView } from "./policy/view.js";
import { pathRefusal, pathSegments } from "./route.js";
import { clientId, TokenRejected, tokenScopes, verifyToken, type Trace } from "./token.js";

export const REASONS = [
  "no_policy", "unknown_api", "unknown_route", "public_route", "missing_token", "malformed_token",
  "unknown_issuer", "disallowed_algorithm", "unknown_key", "revoked_key", "bad_signature", "expired",
  "not_yet_valid", "wrong_audience", "unknown_client", "client_suspended", "insufficient_scope", "ok",
] as const;
export type Reason = (typeof REASONS)[number];
export type Effect = "allow" | "deny";

export function effectOf(reason: Reason): Effect {
  return reason === "ok" || reason === "public_route" ? "allow" : "deny";
}

/** Whether the token itself was found unusable (so it is unusable on every route). */
export function isTokenFault(reason: Reason): boolean {
  const i = REASONS.indexOf(reason);
  return i >= REASONS.indexOf("missing_token") && i <= REASONS.indexOf("client_suspended");
}

/** What the decision needs from a request, whatever API Gateway event it came in. */
export interface Request {
  readonly method: string;
  /** The path without the stage, e.g. `/orders/42`. */
  readonly path: string;
  /** The bearer token without its `Bearer ` prefix, if the request carried one. */
  readonly token: string | undefined;
}

export interface Decision {
  readonly effect: Effect;
  readonly reason: Reason;
  /** The client the token names, once known. */
  readonly principal: string | undefined;
  /** The matched route template, e.g. `GET /orders/{id}`. */
  readonly route: string | undefined;
  /** Token scopes that the client is also granted (what the token may use). */
  readonly scopes: readonly string[];
  /** Revision of the policy the decision was made on (0 when none). */
  readonly revision: bigint;
}

export function decision(reason: Reason, revision: bigint, extra: Partial<Pick<Decision, "principal" | "route" | "scopes">> = {}): Decision {
  return { effect: effectOf(reason), reason, principal: extra.principal, route: extra.route, scopes: extra.scopes ?? [], revision };
}

/** Decides one request against the policy in force for the API `apiId` at `now`; with a
 *  `trace`, also records each check and its outcome (for `explain`). */
export function decide(view: PolicyView | undefined, apiId: string, request: Request, now: number, trace?: Trace): Decision {
  // Notes are built only when traced: formatting them costs more than the checks.
  const note = (step: string, what: () => string): void => {
    trace?.push([step, what()]);
  };
  if (view === undefined) {
    note("no_policy", () => "no valid policy is loaded");
    return decision("no_policy", 0n);
  }
  const revision = view.revision;
  const api = view.api(apiId);
  if (api === undefined) {
    note("unknown_api", () => `the policy has no API "${apiId}"`);
    return decision("unknown_api", revision);
  }
  const route = api.findRoute(request.method, pathSegments(request.path));
  if (route === undefined) {
    note("unknown_route", () => {
      const refusal = pathRefusal(request.path);
      const why = refusal === undefined ? "" : ` (paths with ${refusal} are refused)`;
      return `no route of "${apiId}" matches ${request.method} ${request.path}${why}`;
    });
    return decision("unknown_route", revision);
  }
  note("route", () => `${request.method} ${request.path} matches "${route.route}"`);
  if (route.public) {
    note("public_route", () => "the route is public: no token needed");
    return decision("public_route", revision, { route: route.route });
  }
  if (request.token === undefined) {
    note("missing_token", () => "no bearer token in the request");
    return decision("missing_token", revision, { route: route.route });
  }
  const verified = verifyToken(request.token, view, now, trace);
  if (verified instanceof TokenRejected) return decision(verified.reason, revision, { route: route.route });
  const id = clientId(verified);
  if (id === undefined) {
    note("unknown_client", () => `none of the claims ${debugList(verified.issuer.clientIdClaims)} names a client`);
    return decision("unknown_client", revision, { route: route.route });
  }
  const client = view.client(id);
  if (client === undefined) {
    note("unknown_client", () => `client "${id}" is not in the policy`);
    return decision("unknown_client", revision, { route: route.route, principal: id });
  }
  if (!client.active) {
    note("client_suspended", () => `client "${id}" is ${client.status}`.toLowerCase());
    return decision("client_suspended", revision, { route: route.route, principal: id });
  }
  const scopes = tokenScopes(verified.claims).filter((s) => client.scopes.has(s));
  const missing = route.scopes.filter((s) => !scopes.includes(s));
  if (missing.length === 0) note("ok", () => `client "${id}" holds ${debugList(route.scopes)}`);
  else note("insufficient_scope", () => `route needs ${debugList(route.scopes)}; token and client together hold ${debugList(scopes)}`);
  return decision(missing.length === 0 ? "ok" : "insufficient_scope", revision, { route: route.route, principal: id, scopes });
}
