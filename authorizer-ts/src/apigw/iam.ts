// The IAM policy of a REST / payload 1.0 response (authorizer/src/apigw.rs, iam_statements).
// API Gateway caches it per identity source and applies it to later calls of the same token
// on other routes, so it must allow exactly the routes this token may call: the allowed
// routes' patterns, with the patterns of every route it may not call denied (an explicit
// deny wins over a wildcard allow such as `GET/orders/*` covering `GET/orders/export`).

import { isTokenFault, type Decision } from "../decision.js";
import type { Api } from "../policy/view.js";
import type { MethodArn } from "./event.js";

export interface IamStatement {
  readonly Action: string[];
  readonly Effect: "Allow" | "Deny";
  readonly Resource: string[];
}

function statement(effect: "Allow" | "Deny", resources: string[]): IamStatement {
  return { Action: ["execute-api:Invoke"], Effect: effect, Resource: resources };
}

export function iamStatements(arn: MethodArn | undefined, api: Api | undefined, d: Decision): IamStatement[] {
  if (arn === undefined) return [statement("Deny", ["*"])];
  const exact = (): string[] => [arn.full];
  if ((d.reason === "ok" || d.reason === "insufficient_scope") && api !== undefined) {
    const { allowed, denied } = routePatterns(arn, api, d.scopes);
    const allowsCurrent = globAny(allowed, arn.full) && !globAny(denied, arn.full);
    const expected = d.effect === "allow";
    if (allowsCurrent !== expected) {
      // Patterns overlap in a way IAM cannot express; answer for this call only.
      return [statement(expected ? "Allow" : "Deny", exact())];
    }
    const out: IamStatement[] = [];
    if (allowed.length > 0) out.push(statement("Allow", allowed));
    if (denied.length > 0) out.push(statement("Deny", denied));
    return out;
  }
  // The whole public route, not just this path: a cached answer for one path must not turn
  // into a deny for the next path of the same route.
  if (d.reason === "public_route" && api !== undefined) {
    const route = api.routes.find((r) => r.route === d.route);
    const patterns = route === undefined ? exact() : route.arnPatterns.map((p) => `${arn.stagePrefix}/${p}`);
    return [statement("Allow", patterns)];
  }
  // A token that is unusable is unusable on every route of this stage.
  if (isTokenFault(d.reason)) return [statement("Deny", [`${arn.stagePrefix}/*`])];
  return [statement("Deny", exact())];
}

/** ARN patterns of the routes a token holding `scopes` may and may not call. */
function routePatterns(arn: MethodArn, api: Api, scopes: readonly string[]): { allowed: string[]; denied: string[] } {
  const allowed: string[] = [];
  const denied: string[] = [];
  for (const route of api.routes) {
    const target = route.public || route.scopes.every((s) => scopes.includes(s)) ? allowed : denied;
    for (const p of route.arnPatterns) target.push(`${arn.stagePrefix}/${p}`);
  }
  return { allowed, denied };
}

function globAny(patterns: readonly string[], text: string): boolean {
  const t = Buffer.from(text, "utf8");
  return patterns.some((p) => glob(Buffer.from(p, "utf8"), t));
}

/** IAM resource matching over bytes: `*` any run of characters (slashes included), `?` one. */
export function glob(pattern: Uint8Array, text: Uint8Array): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && (pattern[p] === 0x3f || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (p < pattern.length && pattern[p] === 0x2a) {
      star = p;
      mark = t;
      p++;
    } else if (star >= 0) {
      p = star + 1;
      mark++;
      t = mark;
    } else {
      return false;
    }
  }
  for (; p < pattern.length; p++) if (pattern[p] !== 0x2a) return false;
  return true;
}
