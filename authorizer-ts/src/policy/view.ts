// The indexed view of a policy: what decisions read. Built once from a validated document,
// then changed one entity at a time by policy events; every lookup on the hot path is a Map
// lookup (authorizer/src/policy/index.rs).

import { get, getString, type Json } from "../json.js";
import { parseJwk, supportedAlgorithm, type Algorithm, type PublicKey } from "../keys.js";
import { arnPatterns, parseRoute, Router, type RouteTemplate } from "../route.js";
import { asU64, PolicyErrors, validateApi, validateClient, validateIssuer, validatePublisher } from "./validate.js";

export type KeyStatus = "active" | "retired" | "revoked";
export type EntityKind = "issuer" | "client" | "api" | "publisher";
export const ENTITY_KINDS: readonly EntityKind[] = ["issuer", "client", "api", "publisher"];

export interface Key {
  readonly status: KeyStatus;
  readonly public: PublicKey;
}

export interface Issuer {
  readonly id: string;
  readonly issuer: string;
  /** As written (for messages). */
  readonly audienceList: readonly string[];
  readonly audiences: ReadonlySet<string>;
  readonly algorithmNames: readonly string[];
  readonly algorithms: readonly Algorithm[];
  readonly clientIdClaims: readonly string[];
  readonly leewaySeconds: number;
  readonly keys: ReadonlyMap<string, Key>;
}

export interface Client {
  readonly id: string;
  readonly status: "active" | "suspended";
  readonly active: boolean;
  readonly scopes: ReadonlySet<string>;
}

export interface RouteEntry {
  /** The route as written, e.g. `GET /orders/{id}`. */
  readonly route: string;
  readonly template: RouteTemplate;
  readonly scopes: readonly string[];
  readonly public: boolean;
  /** `METHOD/path` with `*` for parameters (one per method for `ANY`), for IAM resources. */
  readonly arnPatterns: readonly string[];
}

export class Api {
  constructor(
    readonly id: string,
    readonly router: Router,
    readonly routes: readonly RouteEntry[],
  ) {}
  /** The route a request's method and path segments resolve to. */
  findRoute(method: string, segments: readonly string[]): RouteEntry | undefined {
    const i = this.router.find(method, segments);
    return i === undefined ? undefined : this.routes[i];
  }
}

function strings(v: Json | undefined): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : [];
}

const DEFAULT_CLIENT_ID_CLAIMS = ["client_id", "azp"];

/** Builds an issuer from its validated JSON. */
function buildIssuer(doc: Json): Issuer {
  const keys = new Map<string, Key>();
  const keyDocs = get(doc, "keys");
  for (const [i, k] of (Array.isArray(keyDocs) ? keyDocs : []).entries()) {
    let pub: PublicKey;
    try {
      pub = parseJwk(get(k, "jwk") ?? null);
    } catch (e) {
      throw PolicyErrors.single(`$.keys[${i}].jwk`, e instanceof Error ? e.message : String(e));
    }
    keys.set(getString(k, "kid") ?? "", { status: (getString(k, "status") ?? "revoked") as KeyStatus, public: pub });
  }
  const algorithmNames = strings(get(doc, "algorithms"));
  const audienceList = strings(get(doc, "audiences"));
  return {
    id: getString(doc, "id") ?? "",
    issuer: getString(doc, "issuer") ?? "",
    audienceList,
    audiences: new Set(audienceList),
    algorithmNames,
    algorithms: algorithmNames.map(supportedAlgorithm).filter((a): a is Algorithm => a !== undefined),
    clientIdClaims: get(doc, "client_id_claims") === undefined ? DEFAULT_CLIENT_ID_CLAIMS : strings(get(doc, "client_id_claims")),
    leewaySeconds: Number(asU64(get(doc, "leeway_seconds")) ?? 0n),
    keys,
  };
}

function buildClient(doc: Json): Client {
  const status = getString(doc, "status") === "active" ? "active" : "suspended";
  return { id: getString(doc, "id") ?? "", status, active: status === "active", scopes: new Set(strings(get(doc, "scopes"))) };
}

function buildApi(doc: Json): Api {
  const router = new Router();
  const routes: RouteEntry[] = [];
  const routeDocs = get(doc, "routes");
  for (const [i, r] of (Array.isArray(routeDocs) ? routeDocs : []).entries()) {
    const text = getString(r, "route") ?? "";
    let template: RouteTemplate;
    try {
      template = parseRoute(text);
    } catch (e) {
      throw PolicyErrors.single(`$.routes[${i}].route`, e instanceof Error ? e.message : String(e));
    }
    router.insert(template, i);
    routes.push({ route: text, template, scopes: strings(get(r, "scopes")), public: get(r, "public") === true, arnPatterns: arnPatterns(template) });
  }
  return new Api(getString(doc, "id") ?? "", router, routes);
}

/** The policy in force. Entities are immutable, so a copy shares them. */
export class PolicyView {
  revision = 0n;
  private readonly issuers = new Map<string, Issuer>();
  private readonly issuersByUrl = new Map<string, Issuer>();
  private readonly clients = new Map<string, Client>();
  private readonly apis = new Map<string, Api>();
  private readonly publishers = new Map<string, PublicKey>();
  /** Each entity's JSON as given, for dumps and diffs. */
  private readonly docs = new Map<EntityKind, Map<string, Json>>(ENTITY_KINDS.map((k) => [k, new Map()]));

  /** Indexes a validated document. */
  static fromDocument(doc: Json): PolicyView {
    const view = new PolicyView();
    view.revision = asU64(get(doc, "revision")) ?? 0n;
    const section = (name: string): readonly Json[] => {
      const v = get(doc, name);
      return Array.isArray(v) ? v : [];
    };
    for (const i of section("issuers")) view.putIssuer(i);
    for (const c of section("clients")) view.putClient(c);
    for (const a of section("apis")) view.putApi(a);
    for (const p of section("publishers")) view.putPublisher(p);
    return view;
  }

  /** A copy to change on its own (entities are immutable and shared). */
  clone(): PolicyView {
    const v = new PolicyView();
    v.revision = this.revision;
    for (const [k, x] of this.issuers) v.issuers.set(k, x);
    for (const [k, x] of this.issuersByUrl) v.issuersByUrl.set(k, x);
    for (const [k, x] of this.clients) v.clients.set(k, x);
    for (const [k, x] of this.apis) v.apis.set(k, x);
    for (const [k, x] of this.publishers) v.publishers.set(k, x);
    for (const [kind, docs] of this.docs) v.docs.set(kind, new Map(docs));
    return v;
  }

  /** Each entity of a kind with its JSON as given, sorted by id. */
  documents(kind: EntityKind): [string, Json][] {
    return [...(this.docs.get(kind) ?? new Map<string, Json>())].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  /** The ids of the entities of `kind` (unsorted; cheap, no JSON). */
  ids(kind: EntityKind): string[] {
    return [...(this.docs.get(kind)?.keys() ?? [])];
  }

  issuerByUrl(iss: string): Issuer | undefined {
    return this.issuersByUrl.get(iss);
  }
  client(id: string): Client | undefined {
    return this.clients.get(id);
  }
  api(id: string): Api | undefined {
    return this.apis.get(id);
  }
  publisher(kid: string): PublicKey | undefined {
    return this.publishers.get(kid);
  }
  /** Signed mode is on as soon as the policy lists a publisher key. */
  requiresSignedEvents(): boolean {
    return this.publishers.size > 0;
  }
  counts(): [EntityKind, number][] {
    return [
      ["issuer", this.issuers.size],
      ["client", this.clients.size],
      ["api", this.apis.size],
      ["publisher", this.publishers.size],
    ];
  }

  /** Inserts or replaces one entity from its JSON (a policy event's `data`), validated first. */
  upsert(kind: EntityKind, data: Json): void {
    switch (kind) {
      case "issuer":
        validateIssuer(data, "$");
        this.putIssuer(data);
        return;
      case "client":
        validateClient(data, "$");
        this.putClient(data);
        return;
      case "api":
        validateApi(data, "$");
        this.putApi(data);
        return;
      case "publisher":
        validatePublisher(data, "$");
        this.putPublisher(data);
        return;
    }
  }

  /** Removes one entity; returns whether it was there. */
  remove(kind: EntityKind, id: string): boolean {
    this.docs.get(kind)?.delete(id);
    switch (kind) {
      case "issuer": {
        const old = this.issuers.get(id);
        if (old === undefined) return false;
        this.issuers.delete(id);
        this.issuersByUrl.delete(old.issuer);
        return true;
      }
      case "client":
        return this.clients.delete(id);
      case "api":
        return this.apis.delete(id);
      case "publisher":
        return this.publishers.delete(id);
    }
  }

  private putIssuer(doc: Json): void {
    const url = getString(doc, "issuer") ?? "";
    const id = getString(doc, "id") ?? "";
    const other = this.issuersByUrl.get(url);
    if (other !== undefined && other.id !== id) {
      throw PolicyErrors.single("$.issuer", `"${url}" is already the \`iss\` of issuer "${other.id}"`);
    }
    const issuer = buildIssuer(doc);
    const old = this.issuers.get(issuer.id);
    if (old !== undefined) this.issuersByUrl.delete(old.issuer);
    this.issuers.set(issuer.id, issuer);
    this.issuersByUrl.set(issuer.issuer, issuer);
    this.docs.get("issuer")?.set(issuer.id, doc);
  }

  private putClient(doc: Json): void {
    const client = buildClient(doc);
    this.clients.set(client.id, client);
    this.docs.get("client")?.set(client.id, doc);
  }

  private putApi(doc: Json): void {
    const api = buildApi(doc);
    this.apis.set(api.id, api);
    this.docs.get("api")?.set(api.id, doc);
  }

  private putPublisher(doc: Json): void {
    let key: PublicKey;
    try {
      key = parseJwk(get(doc, "jwk") ?? null);
    } catch (e) {
      throw PolicyErrors.single("$.jwk", e instanceof Error ? e.message : String(e));
    }
    const kid = getString(doc, "kid") ?? "";
    this.publishers.set(kid, key);
    this.docs.get("publisher")?.set(kid, doc);
  }
}
