// The IAM policy of a REST / payload 1.0 response (authorizer/src/apigw.rs, iam_statements).
// API Gateway caches it under the identity source and evaluates later requests against it,
// so it must never allow a request that a fresh decision would deny, and must allow the
// request it answers if that was allowed. The resources are built from the route templates
// only, never from request text (an IAM `*` or `?` copied from a path would match other paths).

import type { Decision } from "../decision.js";
import type { Api } from "../policy/view.js";
import {
  intersect, METHODS, pathSegments, precedence, REFUSED_PATH_PATTERNS, serves, shapePattern, type Segment,
} from "../route.js";
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
  const denyAll = (resource: string): IamStatement[] => [statement("Deny", [resource])];
  if (arn === undefined) return denyAll("*");
  // The stage prefix comes from API Gateway; a wildcard in it would widen every resource.
  if (arn.stagePrefix.includes("*") || arn.stagePrefix.includes("?")) return denyAll("*");
  if (api === undefined) return denyAll(`${arn.stagePrefix}/*`);
  // What the token may call. Only a verified token has scopes; otherwise (a token fault, or
  // a public or unknown route, decided before the token is read) public routes only.
  const tokenVerified = d.reason === "ok" || d.reason === "insufficient_scope";
  const allowed = api.routes.map((r) => r.public || (tokenVerified && r.scopes.every((s) => d.scopes.includes(s))));
  let answered: Answered | undefined;
  if (d.effect === "allow") {
    const segments = pathSegments(arn.path);
    const route = api.router.find(arn.method, segments);
    // Cannot happen (the decision routed the same way); never widen on a surprise.
    if (route === undefined || allowed[route] !== true) return denyAll(`${arn.stagePrefix}/*`);
    answered = { route, method: arn.method, segments: segments.length, arn: arn.full };
  }
  const policy = cachedPolicy(arn.stagePrefix, api, allowed, answered);
  if (policy.allow.length === 0) return denyAll(`${arn.stagePrefix}/*`);
  return [statement("Allow", policy.allow), statement("Deny", policy.deny)];
}

/** The allowed request a response answers. */
interface Answered {
  readonly route: number;
  readonly method: string;
  /** How many path segments the request has. */
  readonly segments: number;
  readonly arn: string;
}

interface CachedPolicy {
  readonly allow: string[];
  readonly deny: string[];
}

/** IAM evaluation: an explicit Deny wins, else an Allow, else denied. */
function allows(policy: CachedPolicy, arn: string): boolean {
  return globAny(policy.allow, arn) && !globAny(policy.deny, arn);
}

/** One allowed route for one method, as IAM can say it: an Allow of the route's pattern and
 *  the Denies that cut that pattern back to paths whose fresh decision is an allow. */
interface Cover {
  readonly allow: string;
  readonly deny: string[];
}

/** The cover of `shape` (the route's own segments, or a narrower shape inside them) for
 *  `method`; see `cover` in authorizer/src/apigw.rs for why it is exact on accepted paths. */
function cover(api: Api, allowed: readonly boolean[], method: string, route: number, shape: readonly Segment[]): Cover {
  const deny: string[] = [];
  const greedyTail = shape.at(-1)?.kind === "greedy";
  for (const [i, seg] of shape.entries()) {
    // Before a greedy tail with no literal in between, a stretched `{param}` is the same
    // path with a longer tail: still a match.
    const absorbed = greedyTail && shape.slice(i + 1).every((s) => s.kind !== "literal");
    if (seg.kind === "param" && !absorbed) {
      const stretched = [...shape.slice(0, i), { kind: "param" } as const, ...shape.slice(i)];
      deny.push(shapePattern(method, stretched));
    }
  }
  // `METHOD/*` also matches the root `METHOD/` (the `*` matching nothing).
  if (shape.length === 1 && shape[0]?.kind !== "literal") {
    const root = api.router.find(method, []);
    if (root === undefined || allowed[root] !== true) deny.push(shapePattern(method, []));
  }
  const template = api.routes[route]?.template;
  for (const [other, entry] of api.routes.entries()) {
    if (other === route || allowed[other] === true || !serves(entry.template, method) || template === undefined) continue;
    const both = intersect(shape, entry.template.segments);
    if (both === undefined) continue;
    if (precedence(entry.template, template) < 0) deny.push(shapePattern(method, both));
  }
  return { allow: shapePattern(method, shape), deny };
}

function hits(stagePrefix: string, c: Cover, arn: string): boolean {
  return c.deny.some((d) => glob(`${stagePrefix}/${d}`, arn));
}

/** The cached policy for a token that may call the routes marked in `allowed`, answering
 *  `answered` (when that request was allowed). Every allowed route gets its cover for each
 *  method it serves; a cover whose Denies would hit the answered request is left out, and
 *  the answered route's own cover falls back to its shape at the request's depth. */
function cachedPolicy(stagePrefix: string, api: Api, allowed: readonly boolean[], answered: Answered | undefined): CachedPolicy {
  if (answered === undefined) return assemble(stagePrefix, api, allowed, undefined, []);
  const template = api.routes[answered.route]?.template;
  if (template === undefined) return { allow: [], deny: [] };
  // The router serves only these methods; the pattern takes the constant, not the request's text.
  const method = METHODS.find((m) => m === answered.method && m !== "ANY") ?? "ANY";
  const depthCover = (): Cover => cover(api, allowed, method, answered.route, atDepth(template.segments, answered.segments));
  let own = cover(api, allowed, method, answered.route, template.segments);
  if (hits(stagePrefix, own, answered.arn)) own = depthCover();
  const policy = assemble(stagePrefix, api, allowed, answered, [own]);
  if (allows(policy, answered.arn)) return policy;
  // Not reachable by the argument in the Rust build; should it be, answer at the request's depth.
  return assemble(stagePrefix, api, allowed.map(() => false), undefined, [depthCover()]);
}

/** Adds every allowed route's covers (but those whose Denies hit the answered request) to
 *  `covers`, and writes them out after the refused-path Denies. */
function assemble(stagePrefix: string, api: Api, allowed: readonly boolean[], answered: Answered | undefined, covers: Cover[]): CachedPolicy {
  for (const [route, entry] of api.routes.entries()) {
    if (allowed[route] !== true) continue;
    const methods = entry.template.method === "ANY" ? METHODS.filter((m) => m !== "ANY") : [entry.template.method];
    for (const method of methods) {
      const c = cover(api, allowed, method, route, entry.template.segments);
      if (answered !== undefined && hits(stagePrefix, c, answered.arn)) continue;
      covers.push(c);
    }
  }
  const allow: string[] = [];
  const deny: string[] = [];
  const seenAllow = new Set<string>();
  const seenDeny = new Set<string>();
  for (const c of covers) {
    if (!seenAllow.has(c.allow)) {
      seenAllow.add(c.allow);
      allow.push(`${stagePrefix}/${c.allow}`);
    }
  }
  for (const suffix of REFUSED_PATH_PATTERNS) deny.push(`${stagePrefix}${suffix}`);
  for (const c of covers) {
    for (const d of c.deny) {
      if (!seenDeny.has(d)) {
        seenDeny.add(d);
        deny.push(`${stagePrefix}/${d}`);
      }
    }
  }
  return { allow, deny };
}

/** A shape with its greedy tail replaced by `{param}`s up to `depth` segments: the paths of
 *  exactly that depth the route matches. */
function atDepth(shape: readonly Segment[], depth: number): Segment[] {
  const out = shape.filter((s) => s.kind !== "greedy");
  while (out.length < depth) out.push({ kind: "param" });
  return out;
}

function globAny(patterns: readonly string[], text: string): boolean {
  return patterns.some((p) => glob(p, text));
}

/** IAM resource matching over characters (code points): `*` any run of characters (`/` and
 *  the empty run included), `?` exactly one; every other pattern character matches itself.
 *  A `*` or `?` in the text is an ordinary character. */
export function glob(patternText: string, textText: string): boolean {
  const pattern = Array.from(patternText);
  const text = Array.from(textText);
  let p = 0;
  let t = 0;
  let star = -1;
  let mark = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === "*") {
      star = p;
      mark = t;
      p++;
    } else if (p < pattern.length && (pattern[p] === "?" || pattern[p] === text[t])) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      mark++;
      t = mark;
    } else {
      return false;
    }
  }
  for (; p < pattern.length; p++) if (pattern[p] !== "*") return false;
  return true;
}
