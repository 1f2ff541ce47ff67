// API Gateway authorizer events in: HTTP API payload 2.0 and 1.0, REST TOKEN and REQUEST.
// Read leniently (a missing or odd field gives a deny, never an error), as the Rust build
// reads them (authorizer/src/apigw.rs).

import { get, getString, isObject, type JsonNumber, type JsonOf } from "../json.js";
import { compareRust } from "../json.js";
import { eqIgnoreAsciiCase, rustTrim } from "../text.js";

/** Any parsed JSON: from the exact parser (CLI) or the Lambda runtime's JSON.parse. */
export type EventJson = JsonOf<JsonNumber | number>;

/** Which authorizer event API Gateway sent; decides the response format. */
export type Shape = "http_v2" | "http_v1" | "rest_token" | "rest_request";

/** The Rust build's names for the shapes, as `explain` prints them. */
export const SHAPE_DEBUG: Record<Shape, string> = {
  http_v2: "HttpV2", http_v1: "HttpV1", rest_token: "RestToken", rest_request: "RestRequest",
};

/** `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE/METHOD/PATH`, split into its parts. */
export interface MethodArn {
  /** `arn:aws:execute-api:REGION:ACCOUNT:API/STAGE` */
  readonly stagePrefix: string;
  readonly method: string;
  /** The request path without the stage, starting with '/'. */
  readonly path: string;
  readonly full: string;
}

/** `str::splitn(n, sep)`. */
function splitn(s: string, n: number, sep: string): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

export function parseMethodArn(arn: string): MethodArn | undefined {
  const fields = splitn(arn, 6, ":");
  const [arnWord, , service, , , resource] = fields;
  if (fields.length !== 6 || arnWord !== "arn" || service !== "execute-api" || resource === undefined) return undefined;
  const parts = splitn(resource, 4, "/");
  const [api, stage, method] = parts;
  if (api === undefined || stage === undefined || method === undefined) return undefined;
  if (api === "" || stage === "" || method === "") return undefined;
  const rest = parts[3] ?? "";
  const prefixLen = arn.length - resource.length + api.length + 1 + stage.length;
  return { stagePrefix: arn.slice(0, prefixLen), method, path: `/${rest}`, full: arn };
}

/** A credential of another scheme than `Bearer` (e.g. `Basic`). */
export const NOT_BEARER = Symbol("not a bearer token");
export type TokenField = string | undefined | typeof NOT_BEARER;

/** Strips the `Bearer ` scheme. A bare JWT is accepted as is; any other scheme is refused. */
export function bearer(raw: string): TokenField {
  const value = rustTrim(raw);
  if (value === "") return undefined;
  const space = value.indexOf(" ");
  if (space >= 0) {
    if (!eqIgnoreAsciiCase(value.slice(0, space), "bearer")) return NOT_BEARER;
    const token = rustTrim(value.slice(space + 1));
    return token === "" ? undefined : token;
  }
  return eqIgnoreAsciiCase(value, "bearer") ? undefined : value;
}

/** A header by name, case-insensitively; of several spellings, the first in Rust's key order. */
function header(event: EventJson, name: string): string | undefined {
  const headers = get(event, "headers");
  if (!isObject(headers)) return undefined;
  let found: string | undefined;
  for (const k of Object.keys(headers)) {
    if (eqIgnoreAsciiCase(k, name) && (found === undefined || compareRust(k, found) < 0)) found = k;
  }
  return found === undefined ? undefined : getString(headers, found);
}

/** The parts of an event the decision needs. */
export interface Incoming {
  readonly shape: Shape | undefined;
  readonly arn: MethodArn | undefined;
  readonly token: TokenField;
}

export function readEvent(event: EventJson): Incoming {
  const type = getString(event, "type");
  const version = getString(event, "version");
  let shape: Shape | undefined;
  if (type === "TOKEN") shape = "rest_token";
  else if (type === "REQUEST" && version === "2.0") shape = "http_v2";
  else if (type === "REQUEST" && version === "1.0") shape = "http_v1";
  else if (type === "REQUEST" && version === undefined) shape = "rest_request";
  const arnText = getString(event, shape === "http_v2" ? "routeArn" : "methodArn");
  const arn = arnText === undefined ? undefined : parseMethodArn(arnText);
  let token: TokenField;
  if (shape === "rest_token") {
    const t = getString(event, "authorizationToken");
    token = t === undefined ? undefined : bearer(t);
  } else if (shape === "http_v2") {
    const h = header(event, "authorization");
    if (h !== undefined) token = bearer(h);
    else {
      // With a cache TTL the identity sources hold the token; the header is then still
      // present, so this only matters for hand-made events.
      const ids = get(event, "identitySource");
      const id = Array.isArray(ids)
        ? ids.find((s): s is string => typeof s === "string" && s.length > 7 && eqIgnoreAsciiCase(s.slice(0, 7), "bearer "))
        : undefined;
      token = id === undefined ? undefined : bearer(id);
    }
  } else if (shape !== undefined) {
    const h = header(event, "authorization");
    token = h === undefined ? undefined : bearer(h);
  }
  return { shape, arn, token };
}
