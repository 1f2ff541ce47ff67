// Route templates ("GET /orders/{id}", "ANY /files/{path+}") and the router that maps a
// request's method and path to the most specific one, as API Gateway does: a literal segment
// beats `{param}`, which beats `{param+}`; a named method beats `ANY`. (authorizer/src/route.rs)

/** Methods a route may name. `ANY` matches every method. */
export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"] as const;

export type Segment = { kind: "literal"; text: string } | { kind: "param" } | { kind: "greedy" };

export interface RouteTemplate {
  readonly method: string;
  readonly segments: readonly Segment[];
}

export class RouteError extends Error {}

const PARAM_NAME = /^[A-Za-z0-9_-]+$/;

/** Parses "METHOD /path/{param}/{rest+}", saying what is wrong and what is expected. */
export function parseRoute(text: string): RouteTemplate {
  const space = text.indexOf(" ");
  if (space < 0) {
    throw new RouteError(`"${text}" is not a route; write "METHOD /path", e.g. "GET /orders/{id}"`);
  }
  const method = text.slice(0, space);
  const path = text.slice(space + 1);
  if (!(METHODS as readonly string[]).includes(method)) {
    throw new RouteError(`method "${method}" is not one of ${METHODS.join(", ")}`);
  }
  if (!path.startsWith("/")) throw new RouteError(`path "${path}" must start with '/'`);
  const parts = path.slice(1).split("/");
  const segments: Segment[] = [];
  const names: string[] = [];
  for (const [i, part] of parts.entries()) {
    if (part === "") {
      if (parts.length === 1) break; // the root path "/"
      throw new RouteError(`path "${path}" has an empty segment ("//" or a trailing '/')`);
    }
    if (part.startsWith("{") && part.endsWith("}") && part.length >= 2) {
      const inner = part.slice(1, -1);
      const greedy = inner.endsWith("+");
      const name = greedy ? inner.slice(0, -1) : inner;
      if (!PARAM_NAME.test(name)) {
        throw new RouteError(`parameter "${part}" needs a name of letters, digits, '_' or '-'`);
      }
      if (names.includes(name)) throw new RouteError(`parameter "${name}" appears twice in "${path}"`);
      names.push(name);
      if (greedy) {
        if (i + 1 !== parts.length) throw new RouteError(`greedy parameter "${part}" must be the last segment`);
        segments.push({ kind: "greedy" });
      } else {
        segments.push({ kind: "param" });
      }
    } else if (/[{} *?#]/.test(part)) {
      throw new RouteError(
        `segment "${part}" is not a literal nor a whole "{param}"; braces must enclose a segment`,
      );
    } else {
      const refusal = segmentRefusal(part);
      if (refusal !== undefined) {
        throw new RouteError(`segment "${part}" could never match: request paths with ${refusal} are refused`);
      }
      segments.push({ kind: "literal", text: part });
    }
  }
  return { method, segments };
}

function arnPatternFor(t: RouteTemplate, method: string): string {
  return shapePattern(method, t.segments);
}

/** The execute-api ARN resource suffixes of a route: `METHOD/path` with `*` for parameters.
 *  `ANY` becomes one pattern per method: an IAM `*` also matches `/`. */
export function arnPatterns(t: RouteTemplate): string[] {
  if (t.method === "ANY") return METHODS.filter((m) => m !== "ANY").map((m) => arnPatternFor(t, m));
  return [arnPatternFor(t, t.method)];
}

/** The router's preference at one position: a literal, then `{param}`, then `{param+}`. */
function rank(seg: Segment): number {
  return seg.kind === "literal" ? 0 : seg.kind === "param" ? 1 : 2;
}

/** Whether the route serves `method` (its own, or any for `ANY`). */
export function serves(t: RouteTemplate, method: string): boolean {
  return t.method === method || t.method === "ANY";
}

/** Which of two routes the router picks for a path both match (negative: `a`): the first
 *  position where their segments differ decides (literal, then `{param}`, then `{param+}`);
 *  with the same segments, a named method beats `ANY`. Only meaningful for routes whose
 *  shapes intersect. */
export function precedence(a: RouteTemplate, b: RouteTemplate): number {
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const x = a.segments[i] as Segment;
    const y = b.segments[i] as Segment;
    const order = rank(x) - rank(y);
    if (order !== 0) return Math.sign(order);
    if (x.kind === "greedy") break; // both greedy: the same shape, the method decides
  }
  return Number(a.method === "ANY") - Number(b.method === "ANY");
}

function sameSegment(x: Segment, y: Segment): boolean {
  return x.kind === y.kind && (x.kind !== "literal" || (y.kind === "literal" && x.text === y.text));
}

export function sameShape(a: readonly Segment[], b: readonly Segment[]): boolean {
  return a.length === b.length && a.every((x, i) => sameSegment(x, b[i] as Segment));
}

/** The shape that matches exactly the paths both shapes match, if any path does. */
export function intersect(a: readonly Segment[], b: readonly Segment[]): Segment[] | undefined {
  const out: Segment[] = [];
  for (let i = 0; ; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined && y === undefined) return out;
    if (x?.kind === "greedy" && y?.kind === "greedy") {
      out.push(x);
      return out;
    }
    // A greedy tail takes whatever (non-empty) rest the other shape has.
    if (x?.kind === "greedy" && y !== undefined) return [...out, ...b.slice(i)];
    if (y?.kind === "greedy" && x !== undefined) return [...out, ...a.slice(i)];
    if (x === undefined || y === undefined) return undefined;
    if (x.kind === "literal" && y.kind === "literal") {
      if (x.text !== y.text) return undefined;
      out.push(x);
    } else if (x.kind === "literal") {
      out.push(x);
    } else {
      out.push(y);
    }
  }
}

/** The IAM resource suffix of a shape for one method: `METHOD/literal/*`, with `*` for each
 *  `{param}` and `{param+}` (an IAM `*` spans `/` too, so this over-approximates and the
 *  caller denies the difference). The root is `METHOD/`. */
export function shapePattern(method: string, segments: readonly Segment[]): string {
  let out = method;
  if (segments.length === 0) out += "/";
  for (const seg of segments) out += seg.kind === "literal" ? `/${seg.text}` : "/*";
  return out;
}

class Methods {
  readonly byMethod = new Map<string, number>();
  any: number | undefined;
  get(method: string): number | undefined {
    return this.byMethod.get(method) ?? this.any;
  }
  /** Returns the index this replaced, if any. */
  insert(method: string, index: number): number | undefined {
    if (method === "ANY") {
      const old = this.any;
      this.any = index;
      return old;
    }
    const old = this.byMethod.get(method);
    this.byMethod.set(method, index);
    return old;
  }
}

class Node {
  readonly literal = new Map<string, Node>();
  param: Node | undefined;
  readonly greedy = new Methods();
  readonly here = new Methods();
}

/** A trie over path segments; each node holds the routes that end there, by method. */
export class Router {
  private readonly root = new Node();

  /** Adds a route; returns the index of an earlier route with the same shape, if any. */
  insert(t: RouteTemplate, index: number): number | undefined {
    let node = this.root;
    for (const seg of t.segments) {
      if (seg.kind === "literal") {
        let next = node.literal.get(seg.text);
        if (next === undefined) {
          next = new Node();
          node.literal.set(seg.text, next);
        }
        node = next;
      } else if (seg.kind === "param") {
        node.param ??= new Node();
        node = node.param;
      } else {
        return node.greedy.insert(t.method, index);
      }
    }
    return node.here.insert(t.method, index);
  }

  /** The most specific route for `method` and path segments (without the stage); none
   *  when a segment is refused (`segmentRefusal`). */
  find(method: string, segments: readonly string[]): number | undefined {
    // `ANY` is a route's method, never a request's; other methods API Gateway never sends.
    if (method === "ANY" || !(METHODS as readonly string[]).includes(method)) return undefined;
    if (segments.some((s) => segmentRefusal(s) !== undefined)) return undefined;
    return findIn(this.root, method, segments, 0);
  }
}

function findIn(node: Node, method: string, segments: readonly string[], at: number): number | undefined {
  const first = segments[at];
  if (first === undefined) return node.here.get(method);
  const lit = node.literal.get(first);
  if (lit !== undefined) {
    const found = findIn(lit, method, segments, at + 1);
    if (found !== undefined) return found;
  }
  if (node.param !== undefined) {
    const found = findIn(node.param, method, segments, at + 1);
    if (found !== undefined) return found;
  }
  return node.greedy.get(method);
}

/** A request path's segments, as sent: `"/"` is the root (no segments), and empty segments
 *  are kept so that the router can refuse them. */
export function pathSegments(path: string): string[] {
  const rest = path.startsWith("/") ? path.slice(1) : path;
  return rest === "" ? [] : rest.split("/");
}

// Why the router refuses a request path outright (the decision is then `unknown_route`).
// API Gateway evaluates a cached IAM policy against the method ARN of later requests, with
// `*` matching any run of characters, `/` included; the router and the policy must read a
// path the same way, so a path the router would normalise (`//`, a trailing `/`, `.` and
// `..`, an encoded `/` or `\`) is refused, and the policy denies each such path with
// REFUSED_PATH_PATTERNS. `*` and `?` are ordinary characters to the router.
// The texts are the Rust build's (PathRefusal's Display).
export const PATH_REFUSALS = {
  emptySegment: `an empty segment ("//" or a trailing '/')`,
  dotSegment: `a "." or ".." segment`,
  encodedDelimiter: `an encoded '/', '\\' or '.' (%2F, %5C, %2E)`,
  backslash: `a '\\'`,
} as const;
export type PathRefusal = (typeof PATH_REFUSALS)[keyof typeof PATH_REFUSALS];

/** Substrings that make a segment refused, with the refusal; each is also one deny pattern. */
const REFUSED_SUBSTRINGS: readonly (readonly [string, PathRefusal])[] = [
  ["%2F", PATH_REFUSALS.encodedDelimiter],
  ["%2f", PATH_REFUSALS.encodedDelimiter],
  ["%5C", PATH_REFUSALS.encodedDelimiter],
  ["%5c", PATH_REFUSALS.encodedDelimiter],
  ["%2E", PATH_REFUSALS.encodedDelimiter],
  ["%2e", PATH_REFUSALS.encodedDelimiter],
  ["\\", PATH_REFUSALS.backslash],
];

/** IAM resource suffixes (after `arn:...:API/STAGE`) that match exactly the method ARNs whose
 *  path the router refuses: every refused path matches one, no accepted path does. */
export const REFUSED_PATH_PATTERNS: readonly string[] = [
  "/*//*", // an empty segment inside the path (or right after the method)
  "/*/*/", // a trailing '/' (the root is "METHOD/", with one '/' only)
  "/*/./*", // a "." segment
  "/*/.", // a "." segment at the end
  "/*/../*", // a ".." segment
  "/*/..", // a ".." segment at the end
  "/*%2F*", "/*%2f*", "/*%5C*", "/*%5c*", "/*%2E*", "/*%2e*", "/*\\*",
];

/** Why one segment is refused, if it is. */
export function segmentRefusal(segment: string): PathRefusal | undefined {
  if (segment === "") return PATH_REFUSALS.emptySegment;
  if (segment === "." || segment === "..") return PATH_REFUSALS.dotSegment;
  return REFUSED_SUBSTRINGS.find(([s]) => segment.includes(s))?.[1];
}

/** Why a request path is refused, if it is. */
export function pathRefusal(path: string): PathRefusal | undefined {
  for (const s of pathSegments(path)) {
    const r = segmentRefusal(s);
    if (r !== undefined) return r;
  }
  return undefined;
}
