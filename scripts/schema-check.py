#!/usr/bin/env python3
"""Checks the JSON Schemas in schema/ against the documents the project ships: every
policy in the repo must validate, known-bad documents must not, and sample policy events
(both ops, every kind) and a checkpoint must validate against their schemas. Prints "N passed, M failed"."""
import glob
import json
import sys

from jsonschema import Draft202012Validator

policy_schema = json.load(open("schema/gateway-policy.v1.json"))
event_schema = json.load(open("schema/gateway-policy-event.v1.json"))
Draft202012Validator.check_schema(policy_schema)
Draft202012Validator.check_schema(event_schema)
policy_v = Draft202012Validator(policy_schema)
event_v = Draft202012Validator(event_schema)
passed, failed = 0, 0


def check(name, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {name} {detail}")


policies = sorted(set(glob.glob("conformance/policy.json") + glob.glob("examples/*/policy/*.json")
                      + glob.glob("tftest/fixtures/*.json")))
for path in policies:
    doc = json.load(open(path))
    if doc.get("schema") != "gateway-policy/v1":
        continue
    errors = [e.message for e in policy_v.iter_errors(doc)]
    check(path, not errors, "; ".join(errors[:3]))

bad = {
    "hmac algorithm": {"schema": "gateway-policy/v1", "revision": 1, "issuers": [{"id": "i", "issuer": "u", "audiences": ["a"], "algorithms": ["HS256"], "keys": []}]},
    "secret jwk": {"schema": "gateway-policy/v1", "revision": 1, "issuers": [{"id": "i", "issuer": "u", "audiences": ["a"], "algorithms": ["RS256"], "keys": [{"kid": "k", "status": "active", "jwk": {"kty": "oct", "k": "x"}}]}]},
    "unknown field": {"schema": "gateway-policy/v1", "revision": 1, "client": []},
    "bad status": {"schema": "gateway-policy/v1", "revision": 1, "clients": [{"id": "c", "status": "paused"}]},
    "bad route": {"schema": "gateway-policy/v1", "revision": 1, "apis": [{"id": "a", "routes": [{"route": "FETCH /x"}]}]},
}
for name, doc in bad.items():
    check(f"rejects {name}", not policy_v.is_valid(doc))

client = {"id": "mobile-app", "status": "suspended", "scopes": ["orders:read"]}
events = [
    {"schema": "gateway-policy-event/v1", "kind": "client", "id": "mobile-app", "revision": 1043, "op": "upsert", "issued_at": "2026-11-19T10:01:00Z", "data": client},
    {"schema": "gateway-policy-event/v1", "kind": "api", "id": "orders", "revision": 1044, "op": "delete"},
    {"schema": "gateway-policy-event/v1", "kind": "publisher", "id": "portal-2027", "revision": 1045, "op": "upsert", "data": {"kid": "portal-2027", "jwk": {"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}}},
]
for e in events:
    check(f"event {e['kind']}/{e['op']}", event_v.is_valid(e), "; ".join(x.message for x in event_v.iter_errors(e)))
for name, e in {"upsert without data": dict(events[0], data=None), "unknown kind": dict(events[1], kind="route"), "v2": dict(events[1], schema="gateway-policy-event/v2")}.items():
    check(f"event rejects {name}", not event_v.is_valid(e))

checkpoint_schema = json.load(open("schema/gateway-policy-checkpoint.v1.json"))
Draft202012Validator.check_schema(checkpoint_schema)
checkpoint_v = Draft202012Validator(checkpoint_schema)
checkpoint = {"schema": "gateway-policy-checkpoint/v1", "revision": 1045, "issued_at": "2026-11-19T10:01:00Z",
              "entities": {"client/mobile-app": 1043, "api/orders": 1044, "publisher/portal-2027": 1045}}
check("checkpoint", checkpoint_v.is_valid(checkpoint), "; ".join(x.message for x in checkpoint_v.iter_errors(checkpoint)))
for name, c in {"revision 0": dict(checkpoint, revision=0), "bad key": dict(checkpoint, entities={"route/x": 1}),
                "unknown field": dict(checkpoint, digest="x"), "entity revision 0": dict(checkpoint, entities={"client/a": 0}),
                "no issued_at": {k: v for k, v in checkpoint.items() if k != "issued_at"}}.items():
    check(f"checkpoint rejects {name}", not checkpoint_v.is_valid(c))
for name, e in {"revision 0": dict(events[1], revision=0)}.items():
    check(f"event rejects {name}", not event_v.is_valid(e))

print(f"{passed} passed, {failed} failed")
sys.exit(1 if failed else 0)
