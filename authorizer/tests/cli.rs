//! The `authz` binary as a platform engineer meets it: `validate` on broken policies (every
//! problem named with its JSON path), `decide`/`explain` output, and `conformance` exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

fn authz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_authz"))
        .args(args)
        .output()
        .expect("run authz")
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn write(name: &str, v: &Value) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("authz-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let p = dir.join(name);
    std::fs::write(&p, v.to_string()).expect("write");
    p
}

fn validate_errors(policy: &Value) -> String {
    let out = authz(&[
        "validate",
        write("p.json", policy).to_str().unwrap_or_default(),
    ]);
    assert!(
        !out.status.success(),
        "a broken policy must fail validation: {policy}"
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn validate_accepts_the_conformance_policy() {
    let out = authz(&[
        "validate",
        repo()
            .join("conformance/policy.json")
            .to_str()
            .unwrap_or_default(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("valid, revision 42"));
}

#[test]
fn validate_names_the_path_and_the_fix_for_each_broken_policy() {
    let base = |extra: Value| {
        let mut p = json!({"schema": "gateway-policy/v1", "revision": 1});
        for (k, v) in extra.as_object().expect("object") {
            p[k] = v.clone();
        }
        p
    };
    let issuer = |patch: Value| {
        let mut i = json!({"id": "idp", "issuer": "https://idp", "audiences": ["a"], "algorithms": ["ES256"], "keys": []});
        for (k, v) in patch.as_object().expect("object") {
            i[k] = v.clone();
        }
        base(json!({"issuers": [i]}))
    };
    let cases: Vec<(Value, &[&str])> = vec![
        (json!("not an object"), &["$: must be an object"]),
        (json!({"revision": 1}), &["`schema` is required"]),
        (
            base(json!({"schema": "gateway-policy/v9"})),
            &["$.schema", "gateway-policy/v1"],
        ),
        (
            base(json!({"revision": "7"})),
            &["$.revision", "whole number"],
        ),
        (
            base(json!({"client": []})),
            &["$.client: unknown field", "clients"],
        ),
        (
            issuer(json!({"algorithms": ["HS256"]})),
            &["$.issuers[0].algorithms[0]", "shared-secret"],
        ),
        (
            issuer(json!({"algorithms": ["none"]})),
            &["$.issuers[0].algorithms[0]"],
        ),
        (
            issuer(json!({"audiences": []})),
            &["$.issuers[0].audiences", "at least one"],
        ),
        (
            issuer(json!({"leeway_seconds": 9999})),
            &["$.issuers[0].leeway_seconds", "0 to 300"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "oct", "k": "c2VjcmV0"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "private or secret"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "RSA", "n": "AQAB", "e": "AQAB"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "2048"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "active", "jwk": {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}}]}),
            ),
            &["$.issuers[0].keys[0].jwk", "32 bytes"],
        ),
        (
            issuer(
                json!({"keys": [{"kid": "k", "status": "expired", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}]}),
            ),
            &["$.issuers[0].keys[0].status", "retired"],
        ),
        (
            base(json!({"clients": [{"id": "a b", "status": "active"}]})),
            &["$.clients[0].id", "not a usable id"],
        ),
        (
            base(
                json!({"clients": [{"id": "a", "status": "active"}, {"id": "a", "status": "active"}]}),
            ),
            &["$.clients[1].id", "unique"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "GET orders"}]}]})),
            &["$.apis[0].routes[0].route", "start with '/'"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "FETCH /x"}]}]})),
            &["$.apis[0].routes[0].route", "FETCH"],
        ),
        (
            base(json!({"apis": [{"id": "x", "routes": [{"route": "GET /a/{rest+}/b"}]}]})),
            &["$.apis[0].routes[0].route", "last segment"],
        ),
        (
            base(
                json!({"apis": [{"id": "x", "routes": [{"route": "GET /a/{id}"}, {"route": "GET /a/{other}"}]}]}),
            ),
            &["$.apis[0].routes[1].route", "same method and shape"],
        ),
        (
            base(
                json!({"apis": [{"id": "x", "routes": [{"route": "GET /h", "public": true, "scopes": ["s"]}]}]}),
            ),
            &["$.apis[0].routes[0].scopes", "public route"],
        ),
        (
            base(
                json!({"publishers": [{"kid": "p", "jwk": {"kty": "EC", "crv": "P-256", "x": "b_qTt0JrlVM5jIyomWW5u_w56eeDscwr-NTw3NHrzBo", "y": "wDAVYo27ZmS5IRXnQoIfjvLWG8o928zog1HBc0Kn5Mk"}}]}),
            ),
            &["$.publishers[0].jwk", "Ed25519"],
        ),
    ];
    for (policy, needles) in cases {
        let errors = validate_errors(&policy);
        for needle in needles {
            assert!(errors.contains(needle), "expected {needle:?} in:\n{errors}");
        }
    }
    // Every problem at once, not just the first.
    let errors = validate_errors(&base(
        json!({"revision": -1, "clients": [{"id": "", "status": "x"}]}),
    ));
    assert!(errors.contains("3 problem(s)"), "{errors}");
    // Not JSON at all: the line and column.
    let p = write("broken.json", &json!(null));
    std::fs::write(&p, "{\"schema\": ").expect("write");
    let out = authz(&["validate", p.to_str().unwrap_or_default()]);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("line 1"));
}

#[test]
fn decide_and_explain_print_the_decision() {
    let case: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("conformance/062-token-lacks-scope.json"))
            .expect("case"),
    )
    .expect("json");
    let event = write("event.json", &case["event"]);
    let policy = repo().join("conformance/policy.json");
    let args = [
        "--policy",
        policy.to_str().unwrap_or_default(),
        "--api-id",
        "orders",
        "--event",
        event.to_str().unwrap_or_default(),
        "--now",
        "1795000000",
    ];
    let out = authz(&[&["decide"], &args[..]].concat());
    let decision: Value =
        serde_json::from_slice(&out.stdout).expect("decide prints one JSON object");
    assert_eq!(decision["effect"], "deny");
    assert_eq!(decision["reason"], "insufficient_scope");
    assert_eq!(decision["principal"], "mobile-app");
    assert_eq!(decision["response"]["isAuthorized"], false);
    let out = authz(&[&["explain"], &args[..]].concat());
    let text = String::from_utf8_lossy(&out.stdout);
    for step in [
        "route",
        "signature",
        "insufficient_scope",
        "=> Deny (insufficient_scope)",
    ] {
        assert!(text.contains(step), "explain lacks {step}:\n{text}");
    }
    assert!(
        !text.contains(
            case["event"]["headers"]["authorization"]
                .as_str()
                .unwrap_or("-")
                .trim_start_matches("Bearer ")
        ),
        "explain never prints the token"
    );
}

#[test]
fn conformance_fails_and_names_a_failing_case() {
    let mut case: Value = serde_json::from_str(
        &std::fs::read_to_string(repo().join("conformance/021-public-route.json")).expect("case"),
    )
    .expect("json");
    case["expect"]["reason"] = json!("ok");
    case["policy_file"] = json!(repo().join("conformance/policy.json"));
    let dir = std::env::temp_dir().join(format!("authz-cli-conf-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("wrong.json"), case.to_string()).expect("write");
    let out = authz(&["conformance", dir.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("FAIL") && text.contains("wrong.json") && text.contains("0 passed, 1 failed"),
        "{text}"
    );
}
