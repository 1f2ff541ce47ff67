//! The policy loader (`load_policy`, what `authz validate`, the baked policy and the stream
//! use) and the JWK checks behind it (`keys::check_jwk`).
//!
//! Input: a policy document as JSON text (or any JSON: it is also read as a JWK).
//!
//! Invariants: no panic, no hang; a policy that loads, written back from its view, loads
//! again to the same document (nothing the loader accepts is lost or changed on the way).
#![no_main]

use authorizer::keys::check_jwk;
use authorizer::policy::{load_policy, validate_document};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        let _ = check_jwk(&value);
    }
    let Ok(view) = load_policy(text) else {
        return;
    };
    let doc = view.to_document();
    let written = serde_json::to_string(&doc).expect("a policy document serializes");
    let value: Value = serde_json::from_str(&written).expect("its own output is JSON");
    if let Err(e) = validate_document(&value) {
        panic!("a loaded policy, written back, fails validation:\n{e}\n{written}");
    }
    let again =
        load_policy(&written).unwrap_or_else(|e| panic!("written-back policy refused: {e}"));
    assert_eq!(
        again.to_document(),
        doc,
        "the policy changed on a round trip"
    );
});
