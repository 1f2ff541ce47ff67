//! The indexed view of a policy: what the decision reads. Built once from a document at
//! load, then changed one entity at a time by policy events; every lookup on the hot path
//! is a hash lookup.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use jsonwebtoken::Algorithm;
use serde::Deserialize;

use super::document::{
    ApiDoc, ClientDoc, ClientStatus, IssuerDoc, KeyStatus, PolicyDocument, PublisherDoc,
    POLICY_SCHEMA,
};
use super::validate::{
    validate_api, validate_client, validate_issuer, validate_publisher, PolicyErrors,
};
use crate::keys::{parse_jwk, supported_algorithm, PublicKey};
use crate::route::{RouteTemplate, Router};
use crate::token_cache::{Limits, TokenCache};

/// The four kinds of entity a policy holds; also the first half of a policy event's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntityKind {
    Issuer,
    Client,
    Api,
    Publisher,
}

impl EntityKind {
    pub const ALL: [EntityKind; 4] = [
        EntityKind::Issuer,
        EntityKind::Client,
        EntityKind::Api,
        EntityKind::Publisher,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Issuer => "issuer",
            EntityKind::Client => "client",
            EntityKind::Api => "api",
            EntityKind::Publisher => "publisher",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone)]
pub struct Key {
    pub status: KeyStatus,
    pub public: PublicKey,
}

#[derive(Debug, Clone)]
pub struct Issuer {
    pub doc: IssuerDoc,
    pub audiences: HashSet<String>,
    pub algorithms: Vec<Algorithm>,
    pub keys: HashMap<String, Key>,
}

impl Issuer {
    fn build(doc: IssuerDoc) -> Result<Self, PolicyErrors> {
        let mut keys = HashMap::with_capacity(doc.keys.len());
        for (i, k) in doc.keys.iter().enumerate() {
            let public = parse_jwk(&k.jwk)
                .map_err(|e| PolicyErrors::single(format!("$.keys[{i}].jwk"), e.to_string()))?;
            keys.insert(
                k.kid.clone(),
                Key {
                    status: k.status,
                    public,
                },
            );
        }
        Ok(Issuer {
            audiences: doc.audiences.iter().cloned().collect(),
            algorithms: doc
                .algorithms
                .iter()
                .filter_map(|a| supported_algorithm(a))
                .collect(),
            keys,
            doc,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Client {
    pub doc: ClientDoc,
    pub active: bool,
    pub scopes: HashSet<String>,
}

impl Client {
    fn build(doc: ClientDoc) -> Self {
        Client {
            active: doc.status == ClientStatus::Active,
            scopes: doc.scopes.iter().cloned().collect(),
            doc,
        }
    }
}

#[derive(Debug, Clone)]
pub struct RouteEntry {
    /// The route as written, e.g. `GET /orders/{id}`.
    pub route: String,
    pub template: RouteTemplate,
    pub scopes: Vec<String>,
    pub public: bool,
    /// `METHOD/path` with `*` for parameters (one per method for `ANY`), for IAM policy resources.
    pub arn_patterns: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Api {
    pub router: Router,
    pub routes: Vec<RouteEntry>,
}

impl Api {
    fn build(doc: &ApiDoc) -> Result<Self, PolicyErrors> {
        let mut router = Router::default();
        let mut routes = Vec::with_capacity(doc.routes.len());
        for (i, r) in doc.routes.iter().enumerate() {
            let template = RouteTemplate::parse(&r.route)
                .map_err(|e| PolicyErrors::single(format!("$.routes[{i}].route"), e))?;
            router.insert(&template, i);
            routes.push(RouteEntry {
                route: r.route.clone(),
                arn_patterns: template.arn_patterns(),
                template,
                scopes: r.scopes.clone(),
                public: r.public,
            });
        }
        Ok(Api { router, routes })
    }

    /// The route a request's method and path segments resolve to.
    pub fn find_route(&self, method: &str, segments: &[&str]) -> Option<&RouteEntry> {
        self.router
            .find(method, segments)
            .and_then(|i| self.routes.get(i))
    }
}

/// An API of the policy, indexed on first use. A gateway serves one API of the many a
/// policy may list, so at a cold start only that one pays for its router; the others stay
/// as validated documents until something asks for them.
#[derive(Debug)]
struct ApiSlot {
    doc: ApiDoc,
    /// `None` inside: the routes did not index, which validation rules out before a slot
    /// is made; the API is then unknown (a deny), never open.
    index: OnceLock<Option<Api>>,
}

impl ApiSlot {
    fn index(&self) -> Option<&Api> {
        self.index
            .get_or_init(|| Api::build(&self.doc).ok())
            .as_ref()
    }
}

/// The policy in force: cheap to clone (entities are shared), so a new view can be built
/// next to the one serving requests and swapped in whole.
#[derive(Debug, Clone)]
pub struct PolicyView {
    /// The highest revision applied: the document's, or the newest event's.
    pub revision: u64,
    issuers: HashMap<String, Arc<Issuer>>,
    issuers_by_url: HashMap<String, Arc<Issuer>>,
    clients: HashMap<String, Arc<Client>>,
    apis: HashMap<String, Arc<ApiSlot>>,
    publishers: HashMap<String, Arc<PublicKey>>,
    publisher_docs: HashMap<String, PublisherDoc>,
    /// Tokens verified on this view or on those it was derived from (`None`: off).
    token_cache: Option<Arc<TokenCache>>,
}

impl Default for PolicyView {
    fn default() -> Self {
        PolicyView {
            revision: 0,
            issuers: HashMap::new(),
            issuers_by_url: HashMap::new(),
            clients: HashMap::new(),
            apis: HashMap::new(),
            publishers: HashMap::new(),
            publisher_docs: HashMap::new(),
            token_cache: Some(Arc::new(TokenCache::new(Limits::default()))),
        }
    }
}

impl PolicyView {
    /// Indexes a document, refusing it when a key does not parse or a route does not index.
    pub fn from_document(doc: PolicyDocument) -> Result<Self, PolicyErrors> {
        Self::index_document(doc, false)
    }

    /// Indexes a document that `validate_document` (or `accept::acceptable`) has accepted:
    /// its APIs are indexed on first use ([`PolicyView::api`]).
    pub(super) fn from_validated(doc: PolicyDocument) -> Result<Self, PolicyErrors> {
        Self::index_document(doc, true)
    }

    fn index_document(doc: PolicyDocument, apis_checked: bool) -> Result<Self, PolicyErrors> {
        let mut view = PolicyView {
            revision: doc.revision,
            ..Default::default()
        };
        for issuer in doc.issuers {
            view.put_issuer(issuer)?;
        }
        view.clients.reserve(doc.clients.len());
        for client in doc.clients {
            view.put_client(client);
        }
        view.apis.reserve(doc.apis.len());
        for api in doc.apis {
            if apis_checked {
                view.put_api_unindexed(api);
            } else {
                view.put_api(api)?;
            }
        }
        for publisher in doc.publishers {
            view.put_publisher(publisher)?;
        }
        Ok(view)
    }

    /// The view as a document again (sorted by id, for stable output and diffs).
    pub fn to_document(&self) -> PolicyDocument {
        fn sorted<T: Clone>(items: impl Iterator<Item = (String, T)>) -> Vec<T> {
            let mut v: Vec<(String, T)> = items.collect();
            v.sort_by(|a, b| a.0.cmp(&b.0));
            v.into_iter().map(|(_, t)| t).collect()
        }
        PolicyDocument {
            schema: POLICY_SCHEMA.to_string(),
            revision: self.revision,
            issuers: sorted(self.issuers.iter().map(|(k, v)| (k.clone(), v.doc.clone()))),
            clients: sorted(self.clients.iter().map(|(k, v)| (k.clone(), v.doc.clone()))),
            apis: sorted(self.apis.iter().map(|(k, v)| (k.clone(), v.doc.clone()))),
            publishers: sorted(
                self.publisher_docs
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone())),
            ),
        }
    }

    /// The cache of verified tokens, when on (it is by default).
    pub fn token_cache(&self) -> Option<&TokenCache> {
        self.token_cache.as_deref()
    }

    /// Turns the token cache off (`None`) or gives this view a new, empty one.
    pub fn set_token_cache(&mut self, limits: Option<Limits>) {
        self.token_cache = limits.map(|l| Arc::new(TokenCache::new(l)));
    }

    pub fn issuer_by_url(&self, iss: &str) -> Option<&Issuer> {
        self.issuers_by_url.get(iss).map(Arc::as_ref)
    }
    pub fn client(&self, id: &str) -> Option<&Client> {
        self.clients.get(id).map(Arc::as_ref)
    }
    /// The API `id`, indexed now if this is its first use.
    pub fn api(&self, id: &str) -> Option<&Api> {
        self.apis.get(id).and_then(|slot| slot.index())
    }
    pub fn publisher(&self, kid: &str) -> Option<&PublicKey> {
        self.publishers.get(kid).map(Arc::as_ref)
    }
    /// Signed mode is on as soon as the policy lists a publisher key.
    pub fn requires_signed_events(&self) -> bool {
        !self.publishers.is_empty()
    }
    pub fn counts(&self) -> [(EntityKind, usize); 4] {
        [
            (EntityKind::Issuer, self.issuers.len()),
            (EntityKind::Client, self.clients.len()),
            (EntityKind::Api, self.apis.len()),
            (EntityKind::Publisher, self.publishers.len()),
        ]
    }

    /// Inserts or replaces one entity from its JSON (a policy event's `data`), after
    /// validating it. The caller has already checked that `id` matches the event key.
    pub fn upsert(
        &mut self,
        kind: EntityKind,
        data: &serde_json::Value,
    ) -> Result<(), PolicyErrors> {
        let bad = |e: serde_json::Error| {
            PolicyErrors::single("$", format!("does not match the schema: {e}"))
        };
        match kind {
            EntityKind::Issuer => {
                validate_issuer(data, "$")?;
                self.put_issuer(Deserialize::deserialize(data).map_err(bad)?)
            }
            EntityKind::Client => {
                validate_client(data, "$")?;
                self.put_client(Deserialize::deserialize(data).map_err(bad)?);
                Ok(())
            }
            EntityKind::Api => {
                validate_api(data, "$")?;
                self.put_api(Deserialize::deserialize(data).map_err(bad)?)
            }
            EntityKind::Publisher => {
                validate_publisher(data, "$")?;
                self.put_publisher(Deserialize::deserialize(data).map_err(bad)?)
            }
        }
    }

    /// Removes one entity; returns whether it was there.
    pub fn remove(&mut self, kind: EntityKind, id: &str) -> bool {
        match kind {
            EntityKind::Issuer => match self.issuers.remove(id) {
                Some(old) => {
                    if let Some(cache) = &self.token_cache {
                        cache.drop_issuer(id);
                    }
                    self.issuers_by_url.remove(&old.doc.issuer);
                    true
                }
                None => false,
            },
            EntityKind::Client => self.clients.remove(id).is_some(),
            EntityKind::Api => self.apis.remove(id).is_some(),
            EntityKind::Publisher => {
                self.publisher_docs.remove(id);
                self.publishers.remove(id).is_some()
            }
        }
    }

    /// The ids of the entities of `kind` (unsorted; cheap, no JSON).
    pub fn ids(&self, kind: EntityKind) -> Vec<&str> {
        match kind {
            EntityKind::Issuer => self.issuers.keys().map(String::as_str).collect(),
            EntityKind::Client => self.clients.keys().map(String::as_str).collect(),
            EntityKind::Api => self.apis.keys().map(String::as_str).collect(),
            EntityKind::Publisher => self.publishers.keys().map(String::as_str).collect(),
        }
    }

    /// The id each entity of `kind` currently has, with its JSON (for diffs and dumps).
    pub fn entities(&self, kind: EntityKind) -> Vec<(String, serde_json::Value)> {
        let to_json =
            |v: Result<serde_json::Value, serde_json::Error>| v.unwrap_or(serde_json::Value::Null);
        let mut out: Vec<(String, serde_json::Value)> = match kind {
            EntityKind::Issuer => self
                .issuers
                .iter()
                .map(|(k, v)| (k.clone(), to_json(serde_json::to_value(&v.doc))))
                .collect(),
            EntityKind::Client => self
                .clients
                .iter()
                .map(|(k, v)| (k.clone(), to_json(serde_json::to_value(&v.doc))))
                .collect(),
            EntityKind::Api => self
                .apis
                .iter()
                .map(|(k, v)| (k.clone(), to_json(serde_json::to_value(&v.doc))))
                .collect(),
            EntityKind::Publisher => self
                .publisher_docs
                .iter()
                .map(|(k, v)| (k.clone(), to_json(serde_json::to_value(v))))
                .collect(),
        };
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn put_issuer(&mut self, doc: IssuerDoc) -> Result<(), PolicyErrors> {
        if let Some(other) = self.issuers_by_url.get(&doc.issuer) {
            if other.doc.id != doc.id {
                return Err(PolicyErrors::single(
                    "$.issuer",
                    format!(
                        "\"{}\" is already the `iss` of issuer \"{}\"",
                        doc.issuer, other.doc.id
                    ),
                ));
            }
        }
        let issuer = Arc::new(Issuer::build(doc)?);
        if let Some(old) = self.issuers.insert(issuer.doc.id.clone(), issuer.clone()) {
            self.issuers_by_url.remove(&old.doc.issuer);
            // A key whose status or material changed, or that is gone: its cached tokens go.
            if let Some(cache) = &self.token_cache {
                for (kid, was) in &old.keys {
                    let same = issuer.keys.get(kid).is_some_and(|now| {
                        now.status == was.status && now.public.fingerprint == was.public.fingerprint
                    });
                    if !same {
                        cache.drop_key(&old.doc.id, kid);
                    }
                }
            }
        }
        self.issuers_by_url
            .insert(issuer.doc.issuer.clone(), issuer);
        Ok(())
    }

    fn put_client(&mut self, doc: ClientDoc) {
        self.clients
            .insert(doc.id.clone(), Arc::new(Client::build(doc)));
    }

    /// Stores an API whose routes are known to index (`validate` checked them); it is
    /// indexed on first use.
    fn put_api_unindexed(&mut self, doc: ApiDoc) {
        self.apis.insert(
            doc.id.clone(),
            Arc::new(ApiSlot {
                doc,
                index: OnceLock::new(),
            }),
        );
    }

    /// Stores and indexes an API, refusing it when its routes do not index.
    fn put_api(&mut self, doc: ApiDoc) -> Result<(), PolicyErrors> {
        let api = Api::build(&doc)?;
        let index = OnceLock::new();
        let _ = index.set(Some(api));
        self.apis
            .insert(doc.id.clone(), Arc::new(ApiSlot { doc, index }));
        Ok(())
    }

    fn put_publisher(&mut self, doc: PublisherDoc) -> Result<(), PolicyErrors> {
        let key = parse_jwk(&doc.jwk).map_err(|e| PolicyErrors::single("$.jwk", e.to_string()))?;
        self.publishers.insert(doc.kid.clone(), Arc::new(key));
        self.publisher_docs.insert(doc.kid.clone(), doc);
        Ok(())
    }
}
