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
      segments.push({ kind: "literal", text: part });
    }
  }
  return { method, segments };
}

function arnPatternFor(t: RouteTemplate, method: string): string {
  let out = method;
  if (t.segments.length === 0) out += "/";
  for (const seg of t.segments) out += seg.kind === "literal" ? `/${seg.text}` : "/*";
  return out;
}

/** The execute-api ARN resource suffixes of a route: `METHOD/path` with `*` for parameters.
 *  `ANY` becomes one pattern per method: an IAM `*` also matches `/`. */
export function arnPatterns(t: RouteTemplate): string[] {
  if (t.method === "ANY") return METHODS.filter((m) => m !== "ANY").map((m) => arnPatternFor(t, m));
  return [arnPatternFor(t, t.method)];
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

  /** The most specific route for `method` and path segments (without the stage). */
  find(method: string, segments: readonly string[]): number | undefined {
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

/** A request path's non-empty segments. */
export function pathSegments(path: string): string[] {
  return path.split("/").filter((s) => s !== "");
}
