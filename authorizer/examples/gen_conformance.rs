//! Generates the project's decision conformance cases into `conformance/` (run from the repo
//! root: `cargo run --release --example gen_conformance -- ../conformance`).
//!
//! Keys are generated fresh on every run and only their public halves are written; the
//! cases are static afterwards. Times are fixed (`NOW`) so the cases never expire.

use std::path::{Path, PathBuf};

use authorizer::signing::{SigningKey, SigningKeyFile};
use jsonwebtoken::Algorithm;
use serde_json::{json, Value};

const NOW: i64 = 1_795_000_000;
const CORP: &str = "https://idp.example.com";
const PARTNER: &str = "https://partners.example.net";
const AUD: &str = "https://api.example.com";
const ARN: &str = "arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod";

struct Keys {
    rsa: SigningKey,
    rsa_retired: SigningKey,
    rsa_revoked: SigningKey,
    p256: SigningKey,
    p384: SigningKey,
    ed: SigningKey,
    partner: SigningKey,
    attacker_rsa: SigningKey,
}

fn gen(kid: &str, alg: Algorithm) -> SigningKey {
    SigningKey::generate(kid, alg).expect("key generation")
}

fn with_alg(key: &SigningKey, alg: Algorithm) -> SigningKey {
    // The same RSA key material under another RSA algorithm.
    let file = SigningKeyFile {
        alg: format!("{alg:?}"),
        ..key.to_file()
    };
    SigningKey::from_file(&file).expect("rsa re-key")
}

fn policy(k: &Keys) -> Value {
    let key = |s: &SigningKey, status: &str| json!({"kid": s.kid, "status": status, "jwk": s.public_jwk()});
    json!({
        "schema": "gateway-policy/v1",
        "revision": 42,
        "issuers": [
            {"id": "corp-idp", "issuer": CORP, "audiences": [AUD],
             "algorithms": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA"],
             "client_id_claims": ["client_id", "azp"], "leeway_seconds": 30,
             "keys": [key(&k.rsa, "active"), key(&k.rsa_retired, "retired"), key(&k.rsa_revoked, "revoked"),
                      key(&k.p256, "active"), key(&k.p384, "active"), key(&k.ed, "active")]},
            {"id": "partner-idp", "issuer": PARTNER, "audiences": ["orders-api"], "algorithms": ["PS256"],
             "client_id_claims": ["cid"], "leeway_seconds": 0, "keys": [key(&k.partner, "active")]}
        ],
        "clients": [
            {"id": "mobile-app", "status": "active", "scopes": ["orders:read", "orders:write"]},
            {"id": "reporting", "status": "active", "scopes": ["orders:read"]},
            {"id": "old-partner", "status": "suspended", "scopes": ["orders:read"]},
            {"id": "partner-x", "status": "active", "scopes": ["orders:read"]}
        ],
        "apis": [
            {"id": "orders", "routes": [
                {"route": "GET /orders", "scopes": ["orders:read"]},
                {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                {"route": "POST /orders", "scopes": ["orders:write"]},
                {"route": "DELETE /orders/{id}", "scopes": ["orders:admin"]},
                {"route": "GET /orders/export", "scopes": ["orders:export"]},
                {"route": "ANY /files/{path+}", "scopes": ["orders:read"]},
                {"route": "GET /me"},
                {"route": "GET /health", "public": true}
            ]},
            {"id": "billing", "routes": [{"route": "GET /invoices", "scopes": ["billing:read"]}]}
        ]
    })
}

fn claims(client: &str, scope: &str) -> Value {
    json!({"iss": CORP, "sub": "user-1", "aud": AUD, "client_id": client, "scope": scope, "iat": NOW - 60, "exp": NOW + 600})
}

fn tok(key: &SigningKey, claims: &Value) -> String {
    key.sign(claims, &json!({})).expect("sign")
}

fn http_v2(method: &str, path: &str, auth: Option<&str>) -> Value {
    let mut headers = json!({"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "user-agent": "conformance"});
    let mut event = json!({
        "version": "2.0", "type": "REQUEST",
        "routeArn": format!("{ARN}/{method}{path}"),
        "routeKey": format!("{method} {path}"), "rawPath": format!("/prod{path}"), "rawQueryString": "",
        "requestContext": {"accountId": "123456789012", "apiId": "a1b2c3d4e5", "domainName": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com",
            "domainPrefix": "a1b2c3d4e5", "http": {"method": method, "path": format!("/prod{path}"), "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "conformance"},
            "requestId": "req-v2", "routeKey": format!("{method} {path}"), "stage": "prod", "time": "19/Nov/2026:10:13:20 +0000", "timeEpoch": NOW * 1000}
    });
    if let Some(a) = auth {
        headers["authorization"] = json!(a);
        event["identitySource"] = json!([a]);
    }
    event["headers"] = headers;
    event
}

fn http_v1(method: &str, path: &str, auth: &str) -> Value {
    json!({"version": "1.0", "type": "REQUEST", "methodArn": format!("{ARN}/{method}{path}"), "identitySource": auth,
           "authorizationToken": auth, "resource": path, "path": path, "httpMethod": method,
           "headers": {"Authorization": auth}, "requestContext": {"httpMethod": method, "stage": "prod"}})
}

fn rest_token(method: &str, path: &str, auth: &str) -> Value {
    json!({"type": "TOKEN", "authorizationToken": auth, "methodArn": format!("{ARN}/{method}{path}")})
}

fn rest_request(method: &str, path: &str, auth: Option<&str>) -> Value {
    let mut headers = json!({"Host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com"});
    if let Some(a) = auth {
        headers["Authorization"] = json!(a);
    }
    json!({"type": "REQUEST", "methodArn": format!("{ARN}/{method}{path}"), "resource": path, "path": path, "httpMethod": method,
           "headers": headers, "queryStringParameters": {}, "pathParameters": {}, "stageVariables": {},
           "requestContext": {"path": format!("/prod{path}"), "accountId": "123456789012", "resourceId": "abc123", "stage": "prod",
               "requestId": "req-rest", "resourcePath": path, "httpMethod": method, "apiId": "a1b2c3d4e5"}})
}

fn bearer(t: &str) -> String {
    format!("Bearer {t}")
}

struct Writer {
    dir: PathBuf,
    n: usize,
}

impl Writer {
    #[allow(clippy::too_many_arguments)]
    fn case(
        &mut self,
        slug: &str,
        name: &str,
        api_id: &str,
        event: Value,
        effect: &str,
        reason: &str,
        principal: Option<&str>,
    ) {
        self.case_with(
            slug,
            name,
            api_id,
            json!({"policy_file": "policy.json"}),
            event,
            effect,
            reason,
            principal,
        );
    }
    #[allow(clippy::too_many_arguments)]
    fn case_with(
        &mut self,
        slug: &str,
        name: &str,
        api_id: &str,
        policy: Value,
        event: Value,
        effect: &str,
        reason: &str,
        principal: Option<&str>,
    ) {
        self.n += 1;
        let mut expect = json!({"effect": effect, "reason": reason});
        if let Some(p) = principal {
            expect["principal"] = json!(p);
        }
        let mut case = json!({"name": name, "now": NOW, "api_id": api_id});
        for (k, v) in policy.as_object().expect("policy ref") {
            case[k] = v.clone();
        }
        case["event"] = event;
        case["expect"] = expect;
        let path = self.dir.join(format!("{:03}-{slug}.json", self.n));
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&case).expect("json") + "\n",
        )
        .expect("write case");
    }
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("../conformance"));
    std::fs::create_dir_all(&dir).expect("create dir");
    for entry in std::fs::read_dir(&dir).expect("read dir").flatten() {
        let p = entry.path();
        if p.extension().is_some_and(|e| e == "json")
            && p.file_name().is_some_and(|n| {
                n.to_string_lossy()
                    .starts_with(|c: char| c.is_ascii_digit())
            })
        {
            std::fs::remove_file(p).expect("remove old case");
        }
    }
    let k = Keys {
        rsa: gen("rsa-2026", Algorithm::RS256),
        rsa_retired: gen("rsa-2025", Algorithm::RS256),
        rsa_revoked: gen("rsa-2024", Algorithm::RS256),
        p256: gen("ec-p256", Algorithm::ES256),
        p384: gen("ec-p384", Algorithm::ES384),
        ed: gen("ed-2026", Algorithm::EdDSA),
        partner: gen("partner-1", Algorithm::PS256),
        attacker_rsa: gen("rsa-2026", Algorithm::RS256),
    };
    write_json(&dir.join("policy.json"), &policy(&k));
    let mut w = Writer {
        dir: dir.clone(),
        n: 0,
    };
    let read = claims("mobile-app", "orders:read orders:write");
    let get42 = |auth: &str| http_v2("GET", "/orders/42", Some(auth));

    // Every algorithm, HTTP API 2.0.
    for alg in [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
    ] {
        let key = with_alg(&k.rsa, alg);
        w.case(
            &format!("http-v2-{alg:?}-ok").to_lowercase(),
            &format!("http api 2.0: valid {alg:?} token"),
            "orders",
            get42(&bearer(&tok(&key, &read))),
            "allow",
            "ok",
            Some("mobile-app"),
        );
    }
    w.case(
        "http-v2-es256-ok",
        "http api 2.0: valid ES256 token",
        "orders",
        get42(&bearer(&tok(&k.p256, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case(
        "http-v2-es384-ok",
        "http api 2.0: valid ES384 token",
        "orders",
        get42(&bearer(&tok(&k.p384, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case(
        "http-v2-eddsa-ok",
        "http api 2.0: valid EdDSA token",
        "orders",
        get42(&bearer(&tok(&k.ed, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );

    // Event shapes.
    w.case(
        "rest-token-ok",
        "rest TOKEN authorizer: valid RS256 token",
        "orders",
        rest_token("GET", "/orders", &bearer(&tok(&k.rsa, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case("rest-token-expired", "rest TOKEN authorizer: expired token", "orders", rest_token("GET", "/orders", &bearer(&tok(&k.rsa, &json!({"iss": CORP, "aud": AUD, "client_id": "mobile-app", "scope": "orders:read", "exp": NOW - 3600})))), "deny", "expired", None);
    w.case(
        "rest-request-ok",
        "rest REQUEST authorizer: valid ES256 token",
        "orders",
        rest_request("POST", "/orders", Some(&bearer(&tok(&k.p256, &read)))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case(
        "rest-request-missing-token",
        "rest REQUEST authorizer: no Authorization header",
        "orders",
        rest_request("GET", "/orders", None),
        "deny",
        "missing_token",
        None,
    );
    w.case(
        "rest-request-insufficient-scope",
        "rest REQUEST authorizer: DELETE needs orders:admin",
        "orders",
        rest_request("DELETE", "/orders/7", Some(&bearer(&tok(&k.rsa, &read)))),
        "deny",
        "insufficient_scope",
        Some("mobile-app"),
    );
    w.case(
        "http-v1-ok",
        "http api payload 1.0: valid EdDSA token",
        "orders",
        http_v1("GET", "/orders", &bearer(&tok(&k.ed, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );

    // Policy, API and route.
    let broken =
        json!({"policy": {"schema": "gateway-policy/v1", "revision": 1, "issuers": [{"id": "x"}]}});
    w.case_with(
        "no-policy",
        "an invalid policy loads as no policy: deny everything",
        "orders",
        broken,
        get42(&bearer(&tok(&k.rsa, &read))),
        "deny",
        "no_policy",
        None,
    );
    w.case(
        "unknown-api",
        "the gateway's api_id is not in the policy",
        "inventory",
        get42(&bearer(&tok(&k.rsa, &read))),
        "deny",
        "unknown_api",
        None,
    );
    w.case(
        "unknown-route-path",
        "no route matches the path",
        "orders",
        http_v2("GET", "/customers", Some(&bearer(&tok(&k.rsa, &read)))),
        "deny",
        "unknown_route",
        None,
    );
    w.case(
        "unknown-route-method",
        "the path exists but not for this method",
        "orders",
        http_v2("PUT", "/orders", Some(&bearer(&tok(&k.rsa, &read)))),
        "deny",
        "unknown_route",
        None,
    );
    w.case(
        "unknown-route-other-api",
        "a route of another API does not open this one",
        "orders",
        http_v2("GET", "/invoices", Some(&bearer(&tok(&k.rsa, &read)))),
        "deny",
        "unknown_route",
        None,
    );
    w.case(
        "public-route",
        "public route needs no token",
        "orders",
        http_v2("GET", "/health", None),
        "allow",
        "public_route",
        None,
    );
    w.case(
        "public-route-garbage-token",
        "public route ignores a broken token",
        "orders",
        http_v2("GET", "/health", Some("Bearer not-a-token")),
        "allow",
        "public_route",
        None,
    );
    w.case(
        "literal-beats-param",
        "GET /orders/export is its own route and needs orders:export",
        "orders",
        http_v2("GET", "/orders/export", Some(&bearer(&tok(&k.rsa, &read)))),
        "deny",
        "insufficient_scope",
        Some("mobile-app"),
    );
    w.case(
        "greedy-any-route",
        "ANY /files/{path+} covers DELETE /files/a/b.txt",
        "orders",
        http_v2(
            "DELETE",
            "/files/a/b.txt",
            Some(&bearer(&tok(&k.rsa, &read))),
        ),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case(
        "route-without-scopes",
        "a route without scopes needs only a valid token of an active client",
        "orders",
        http_v2(
            "GET",
            "/me",
            Some(&bearer(&tok(&k.rsa, &claims("reporting", "")))),
        ),
        "allow",
        "ok",
        Some("reporting"),
    );

    // Token structure and attacks.
    w.case(
        "missing-token",
        "no Authorization header",
        "orders",
        http_v2("GET", "/orders/42", None),
        "deny",
        "missing_token",
        None,
    );
    w.case(
        "empty-bearer",
        "Authorization: Bearer with nothing after it",
        "orders",
        http_v2("GET", "/orders/42", Some("Bearer ")),
        "deny",
        "missing_token",
        None,
    );
    w.case(
        "basic-auth",
        "a Basic credential is not a bearer token",
        "orders",
        http_v2("GET", "/orders/42", Some("Basic dXNlcjpwYXNz")),
        "deny",
        "malformed_token",
        None,
    );
    w.case(
        "two-segments",
        "not three segments",
        "orders",
        get42("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0"),
        "deny",
        "malformed_token",
        None,
    );
    w.case(
        "not-base64",
        "segments that are not base64url JSON",
        "orders",
        get42("Bearer abc.def.ghi"),
        "deny",
        "malformed_token",
        None,
    );
    let big = json!({"iss": CORP, "aud": AUD, "client_id": "mobile-app", "scope": "orders:read", "exp": NOW + 600, "pad": "x".repeat(9000)});
    w.case(
        "oversized-token",
        "a token over 8 KiB is refused before decoding",
        "orders",
        get42(&bearer(&tok(&k.rsa, &big))),
        "deny",
        "malformed_token",
        None,
    );
    w.case(
        "crit-header",
        "a crit header naming an unimplemented extension",
        "orders",
        get42(&bearer(
            &k.rsa
                .sign(&read, &json!({"crit": ["exp-x"], "exp-x": 1}))
                .expect("sign"),
        )),
        "deny",
        "malformed_token",
        None,
    );
    let none_token = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&read)
    );
    w.case(
        "alg-none",
        "alg none is always refused",
        "orders",
        get42(&bearer(&none_token)),
        "deny",
        "disallowed_algorithm",
        None,
    );
    let hs = hs256_with_public_key(&k.rsa, &read);
    w.case(
        "hs256-keyed-with-rsa-public-key",
        "HS256 signed with the RSA public key as the secret",
        "orders",
        get42(&bearer(&hs)),
        "deny",
        "disallowed_algorithm",
        None,
    );
    let partner_es = json!({"iss": PARTNER, "aud": "orders-api", "cid": "partner-x", "scope": "orders:read", "exp": NOW + 600});
    w.case(
        "alg-not-allowed-for-issuer",
        "ES256 from an issuer that only allows PS256",
        "orders",
        get42(&bearer(
            &SigningKey::from_file(&SigningKeyFile {
                kid: "partner-1".into(),
                ..k.p256.to_file()
            })
            .expect("rekey")
            .sign(&partner_es, &json!({}))
            .expect("sign"),
        )),
        "deny",
        "disallowed_algorithm",
        None,
    );
    w.case("unknown-issuer", "iss names no issuer", "orders", get42(&bearer(&tok(&k.rsa, &json!({"iss": "https://evil.example", "aud": AUD, "client_id": "mobile-app", "exp": NOW + 600})))), "deny", "unknown_issuer", None);
    w.case(
        "missing-iss",
        "no iss claim",
        "orders",
        get42(&bearer(&tok(
            &k.rsa,
            &json!({"aud": AUD, "client_id": "mobile-app", "exp": NOW + 600}),
        ))),
        "deny",
        "unknown_issuer",
        None,
    );
    let attacker = gen("attacker", Algorithm::RS256);
    w.case(
        "embedded-jwk-header",
        "an embedded jwk header is never used to verify",
        "orders",
        get42(&bearer(
            &attacker
                .sign(&read, &json!({"jwk": attacker.public_jwk()}))
                .expect("sign"),
        )),
        "deny",
        "unknown_key",
        None,
    );
    w.case(
        "embedded-jwk-with-known-kid",
        "an embedded jwk under a known kid still verifies against the policy key",
        "orders",
        get42(&bearer(
            &k.attacker_rsa
                .sign(&read, &json!({"jwk": k.attacker_rsa.public_jwk()}))
                .expect("sign"),
        )),
        "deny",
        "bad_signature",
        None,
    );
    w.case(
        "jku-header",
        "a jku header is never fetched",
        "orders",
        get42(&bearer(
            &attacker
                .sign(&read, &json!({"jku": "https://evil.example/jwks.json"}))
                .expect("sign"),
        )),
        "deny",
        "unknown_key",
        None,
    );
    w.case(
        "missing-kid",
        "no kid in the header",
        "orders",
        get42(&bearer(
            &k.rsa
                .sign_with_header(&json!({"alg": "RS256", "typ": "JWT"}), &read)
                .expect("sign"),
        )),
        "deny",
        "unknown_key",
        None,
    );
    w.case(
        "revoked-key",
        "a revoked key never verifies",
        "orders",
        get42(&bearer(&tok(&k.rsa_revoked, &read))),
        "deny",
        "revoked_key",
        None,
    );
    w.case(
        "retired-key-still-verifies",
        "rotation overlap: a retired key still verifies",
        "orders",
        get42(&bearer(&tok(&k.rsa_retired, &read))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case(
        "forged-signature",
        "signed by another key under the policy key's kid",
        "orders",
        get42(&bearer(&tok(&k.attacker_rsa, &read))),
        "deny",
        "bad_signature",
        None,
    );
    let good = tok(&k.rsa, &claims("reporting", "orders:read"));
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    parts[1] = b64(&claims("mobile-app", "orders:read orders:write"));
    w.case(
        "tampered-payload",
        "payload changed after signing",
        "orders",
        get42(&bearer(&parts.join("."))),
        "deny",
        "bad_signature",
        None,
    );
    let es_on_rsa = SigningKey::from_file(&SigningKeyFile {
        kid: "rsa-2026".into(),
        ..k.p256.to_file()
    })
    .expect("rekey");
    w.case(
        "alg-does-not-fit-key",
        "ES256 token naming an RSA key",
        "orders",
        get42(&bearer(&tok(&es_on_rsa, &read))),
        "deny",
        "bad_signature",
        None,
    );

    // Time and audience.
    let mut c = read.clone();
    c["exp"] = json!(NOW - 31);
    w.case(
        "expired",
        "exp past now beyond the 30 s leeway",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "expired",
        None,
    );
    c["exp"] = json!(NOW - 29);
    w.case(
        "expired-within-leeway",
        "exp 29 s ago is within the 30 s leeway",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    let mut c = read.clone();
    c.as_object_mut().expect("claims").remove("exp");
    w.case(
        "missing-exp",
        "a token without exp is treated as expired",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "expired",
        None,
    );
    c["exp"] = json!((NOW + 600).to_string());
    w.case(
        "string-exp",
        "a string exp is not a number: expired (CVE-2026-25537 class)",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "expired",
        None,
    );
    let mut c = read.clone();
    c["nbf"] = json!(NOW + 31);
    w.case(
        "not-yet-valid",
        "nbf after now beyond the leeway",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "not_yet_valid",
        None,
    );
    c["nbf"] = json!(NOW + 29);
    w.case(
        "nbf-within-leeway",
        "nbf 29 s ahead is within the leeway",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    let partner_claims = json!({"iss": PARTNER, "aud": "orders-api", "cid": "partner-x", "scope": "orders:read", "exp": NOW - 1});
    w.case(
        "zero-leeway-issuer",
        "an issuer with 0 s leeway: one second past exp is expired",
        "orders",
        get42(&bearer(&tok(&k.partner, &partner_claims))),
        "deny",
        "expired",
        None,
    );
    let mut c = read.clone();
    c["aud"] = json!("https://other.example.com");
    w.case(
        "wrong-audience",
        "aud names another API",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "wrong_audience",
        None,
    );
    c["aud"] = json!(["https://other.example.com", AUD]);
    w.case(
        "audience-array",
        "aud as an array containing ours",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    c.as_object_mut().expect("claims").remove("aud");
    w.case(
        "missing-audience",
        "no aud claim",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "wrong_audience",
        None,
    );
    let mut c = read.clone();
    c["exp"] = json!(NOW - 3600);
    c["aud"] = json!("https://other.example.com");
    w.case(
        "order-expired-before-audience",
        "expired and wrong audience: the earlier check's code wins",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "expired",
        None,
    );

    // Clients and scopes.
    let mut c = read.clone();
    c.as_object_mut().expect("claims").remove("client_id");
    w.case(
        "missing-client-claim",
        "no client_id nor azp",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "deny",
        "unknown_client",
        None,
    );
    c["azp"] = json!("reporting");
    w.case(
        "azp-fallback",
        "azp names the client when client_id is absent",
        "orders",
        get42(&bearer(&tok(&k.rsa, &c))),
        "allow",
        "ok",
        Some("reporting"),
    );
    w.case(
        "unknown-client",
        "client_id names no client",
        "orders",
        get42(&bearer(&tok(&k.rsa, &claims("ghost", "orders:read")))),
        "deny",
        "unknown_client",
        None,
    );
    w.case(
        "client-suspended",
        "the client is suspended",
        "orders",
        get42(&bearer(&tok(&k.rsa, &claims("old-partner", "orders:read")))),
        "deny",
        "client_suspended",
        Some("old-partner"),
    );
    w.case(
        "token-lacks-scope",
        "POST needs orders:write, the token has only orders:read",
        "orders",
        http_v2(
            "POST",
            "/orders",
            Some(&bearer(&tok(&k.rsa, &claims("mobile-app", "orders:read")))),
        ),
        "deny",
        "insufficient_scope",
        Some("mobile-app"),
    );
    w.case(
        "client-not-granted-scope",
        "the token claims orders:write but the client is not granted it",
        "orders",
        http_v2(
            "POST",
            "/orders",
            Some(&bearer(&tok(
                &k.rsa,
                &claims("reporting", "orders:read orders:write"),
            ))),
        ),
        "deny",
        "insufficient_scope",
        Some("reporting"),
    );
    let mut c = claims("mobile-app", "");
    c.as_object_mut().expect("claims").remove("scope");
    c["scp"] = json!(["orders:write"]);
    w.case(
        "scp-array",
        "scopes from an scp array",
        "orders",
        http_v2("POST", "/orders", Some(&bearer(&tok(&k.rsa, &c)))),
        "allow",
        "ok",
        Some("mobile-app"),
    );
    w.case("partner-issuer-ok", "the partner issuer's PS256 token with its own client claim", "orders", get42(&bearer(&tok(&k.partner, &json!({"iss": PARTNER, "aud": "orders-api", "cid": "partner-x", "scope": "orders:read", "exp": NOW + 60})))), "allow", "ok", Some("partner-x"));
    // Paths the router refuses rather than normalise (a cached REST policy could not deny
    // every spelling of a normalised path), and IAM wildcards that are ordinary characters.
    let reader = bearer(&tok(&k.rsa, &claims("reporting", "orders:read")));
    for (slug, name, method, path) in [
        (
            "rest-token-trailing-slash",
            "a trailing '/' is refused, not dropped",
            "GET",
            "/orders/42/",
        ),
        (
            "rest-token-empty-segment",
            "an empty segment is refused, not dropped",
            "GET",
            "/orders//42",
        ),
        (
            "rest-token-dot-segment",
            "a \".\" segment is refused",
            "GET",
            "/orders/./42",
        ),
        (
            "rest-token-dot-dot-segment",
            "a \"..\" segment is refused",
            "GET",
            "/files/a/../export",
        ),
        (
            "rest-token-encoded-slash",
            "an encoded '/' is refused",
            "GET",
            "/files/a%2Fb",
        ),
        (
            "rest-token-encoded-dot",
            "an encoded '.' is refused",
            "GET",
            "/files/%2e%2e/x",
        ),
        (
            "rest-token-backslash",
            "a '\\' is refused",
            "GET",
            "/files/a\\b",
        ),
    ] {
        w.case(
            slug,
            name,
            "orders",
            rest_token(method, path, &reader),
            "deny",
            "unknown_route",
            None,
        );
    }
    w.case(
        "rest-token-star-is-a-character",
        "an IAM '*' in a path is an ordinary character of a {param}",
        "orders",
        rest_token("GET", "/orders/*", &reader),
        "allow",
        "ok",
        Some("reporting"),
    );
    w.case(
        "rest-request-question-mark-is-a-character",
        "an IAM '?' in a path is an ordinary character of a {param}",
        "orders",
        rest_request("GET", "/orders/a?b", Some(&reader)),
        "allow",
        "ok",
        Some("reporting"),
    );
    w.case(
        "http-v2-empty-segment",
        "HTTP API: an empty segment is refused too",
        "orders",
        http_v2("GET", "/orders//42", Some(&reader)),
        "deny",
        "unknown_route",
        None,
    );
    w.case(
        "public-route-trailing-slash",
        "a public route with a trailing '/' is not that route",
        "orders",
        rest_request("GET", "/health/", None),
        "deny",
        "unknown_route",
        None,
    );
    println!("wrote {} cases and policy.json to {}", w.n, dir.display());
}

fn write_json(path: &Path, v: &Value) {
    std::fs::write(path, serde_json::to_string_pretty(v).expect("json") + "\n").expect("write");
}

/// The classic key-confusion forgery: HMAC-SHA256 keyed with the RSA public key's bytes.
fn hs256_with_public_key(rsa: &SigningKey, claims: &Value) -> String {
    let header = b64(&json!({"alg": "HS256", "kid": rsa.kid, "typ": "JWT"}));
    let input = format!("{header}.{}", b64(claims));
    let secret = rsa.public_jwk().to_string();
    let key = jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()).expect("hmac key");
    let sig = jsonwebtoken::crypto::sign(input.as_bytes(), &key, Algorithm::HS256).expect("hmac");
    format!("{input}.{sig}")
}
