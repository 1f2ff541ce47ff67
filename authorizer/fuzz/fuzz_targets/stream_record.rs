//! The policy stream's record decoder and apply rule (`stream::replica::Replica::apply`,
//! which calls `stream::event::decode_value`), record by record as the consumer does.
//!
//! Input: a mode byte, then records separated by 0x1E; a record is `key 0x00 value`, or a
//! bare key for a tombstone. Mode bit 0: the baked policy lists a publisher (signed mode);
//! bit 1: the harness signs each value (as JSON) with that publisher's generated key.
//!
//! Invariants: no panic; a rejected record changes nothing; in signed mode nothing is
//! applied unless signed, and a record applied as signed by a publisher verifies,
//! checked independently, with that publisher's key as the view held it before; applying
//! the same records to a fresh replica gives the same verdicts and the same view.
#![no_main]

use authorizer::policy::PolicyView;
use authorizer::stream::replica::{Applied, Replica};
use fuzz_support::{conformance_policy, generated, generated_view, jwk_verifies, NOW};
use libfuzzer_sys::fuzz_target;
use serde_json::{json, Value};

type Record = (Vec<u8>, Option<Vec<u8>>);

fn snapshot(replica: &Replica) -> Option<Value> {
    replica
        .view()
        .map(|v| serde_json::to_value(v.to_document()).expect("document serializes"))
}

fn publisher_signed(value: &[u8], kid: &str, before: &Value) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    let Some((input, signature)) = text.trim().rsplit_once('.') else {
        return false;
    };
    let Ok(signature) =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, signature)
    else {
        return false;
    };
    before["publishers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["kid"] == kid)
        .any(|p| jwk_verifies(&p["jwk"], "EdDSA", input.as_bytes(), &signature))
}

fn verdict_kind(a: &Applied) -> String {
    match a {
        Applied::Rejected { reason, .. } => format!("rejected {reason:?}"),
        other => format!("{other:?}"),
    }
}

fn run(baked: &PolicyView, records: &[Record]) -> (Vec<String>, Option<Value>) {
    let mut replica = Replica::new(Some(baked.clone()));
    let mut verdicts = Vec::new();
    for (key, value) in records {
        let before = snapshot(&replica);
        let signed_mode = replica
            .view()
            .is_some_and(PolicyView::requires_signed_events);
        let verdict = replica.apply(Some(key.as_slice()), value.as_deref(), NOW);
        let after = snapshot(&replica);
        match &verdict {
            Applied::Rejected { .. } => assert_eq!(before, after, "a rejected record changed the view"),
            Applied::Upserted { signed_by, .. } | Applied::Deleted { signed_by, .. } => {
                match signed_by {
                    None => assert!(!signed_mode, "an unsigned event applied in signed mode"),
                    Some(kid) => assert!(
                        publisher_signed(value.as_deref().unwrap_or_default(), kid, before.as_ref().unwrap_or(&Value::Null)),
                        "applied as signed by {kid}, but it does not verify with that publisher's key"
                    ),
                }
            }
            Applied::Tombstone { .. } => assert!(!signed_mode, "a tombstone applied in signed mode"),
            // A checkpoint only states what the topic should hold: it must be the portal's
            // and must not change an entity itself.
            Applied::Checkpoint { signed_by, .. } => {
                assert!(signed_mode, "a checkpoint accepted in unsigned mode");
                assert!(
                    publisher_signed(value.as_deref().unwrap_or_default(), signed_by, before.as_ref().unwrap_or(&Value::Null)),
                    "checkpoint accepted as signed by {signed_by}, but it does not verify with that publisher's key"
                );
                assert_eq!(before, after, "a checkpoint changed the applied view");
            }
        }
        verdicts.push(verdict_kind(&verdict));
    }
    (verdicts, snapshot(&replica))
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let signed_baked = mode & 1 == 1;
    let sign_values = mode & 2 == 2;
    let g = generated();
    let baked = if signed_baked {
        generated_view()
    } else {
        &conformance_policy().1
    };
    let records: Vec<Record> = rest
        .split(|b| *b == 0x1e)
        .take(16)
        .map(|record| match record.iter().position(|b| *b == 0) {
            None => (record.to_vec(), None),
            Some(at) => {
                let value = &record[at + 1..];
                let value = match serde_json::from_slice::<Value>(value) {
                    Ok(payload) if sign_values => g
                        .publisher
                        .sign_with_header(&json!({"alg": "EdDSA", "kid": g.publisher.kid, "typ": "gateway-policy-event+jws"}), &payload)
                        .map(String::into_bytes)
                        .unwrap_or_else(|_| value.to_vec()),
                    _ => value.to_vec(),
                };
                (record[..at].to_vec(), Some(value))
            }
        })
        .collect();
    let first = run(baked, &records);
    let second = run(baked, &records);
    assert_eq!(
        first, second,
        "the same records gave another result on a fresh replica"
    );
});
