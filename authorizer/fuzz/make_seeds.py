#!/usr/bin/env python3
"""Writes the committed seed corpus (seeds/<target>/) from the repo's conformance cases and
policies: public JWKs and tokens signed by keys whose private halves were never kept.
Run from authorizer/fuzz/ after the conformance cases change; commit the result."""
import glob
import hashlib
import json
import os
import shutil

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")


def write(target, data):
    d = os.path.join("seeds", target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()[:16]
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


for target in ["token", "apigw_event", "policy", "stream_record"]:
    shutil.rmtree(os.path.join("seeds", target), ignore_errors=True)

cases = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(ROOT, "conformance", "0*.json")))]
for case in cases:
    event = case["event"]
    write("apigw_event", json.dumps(event, indent=None).encode())
    auth = (event.get("headers") or {}).get("authorization") or event.get("authorizationToken") or ""
    token = auth.split(" ", 1)[-1]
    if token.count(".") == 2:
        write("token", b"\x00" + token.encode())

# Inputs the fuzzer found failing once, kept as seeds (each is also a unit test).
found = [
    # apigw.rs: an event of no known shape must get a response that denies everything.
    b'{"methodArn": "arn:aws:execute-api:eu-west-1:12345@789012:a1b2c:xecute-api:eu-west-1:'
    b'123456789012:a1b2c3d4e5/prod/GET/health", "routeKey": "GET /health", "type": "TrOKEN"}',
    # apigw.rs: a method ARN with an IAM wildcard before the method is not API Gateway's.
    b'{"authorizationToken": "x", "methodArn": "arn:aws:execute-api:eu-west-1:12:exec?ute-api:'
    b'eu-west-1:123456789012:a1b2c3d4e5/prod/GET/health", "type": "TOKEN"}',
]
for data in found:
    write("apigw_event", data)

# Harness-signed tokens (mode 1): key index, header extras, payload, mutations.
payload = {"iss": "https://idp", "aud": "api", "exp": 1795000060, "client_id": "app", "scope": "read"}
for key in range(5):
    for extra in [{}, {"kid": "es"}, {"alg": "none"}, {"crit": ["b64"]}]:
        write("token", bytes([1, key]) + json.dumps(extra).encode() + b"\n" + json.dumps(payload).encode() + b"\n")
write("token", bytes([1, 2]) + b"{}\n" + json.dumps(dict(payload, exp="never")).encode() + b"\n\x00\x10A")

for path in [os.path.join(ROOT, "conformance", "policy.json")] + sorted(glob.glob(os.path.join(ROOT, "examples", "*", "policy", "*.json"))):
    write("policy", open(path, "rb").read())
policy = json.load(open(os.path.join(ROOT, "conformance", "policy.json")))
for issuer in policy["issuers"]:
    for key in issuer["keys"]:
        write("policy", json.dumps(key["jwk"]).encode())

# Stream records: mode byte, then `key 0x00 value` records separated by 0x1E.
def event(kind, ident, revision, data=None, op="upsert"):
    e = {"schema": "gateway-policy-event/v1", "kind": kind, "id": ident, "revision": revision, "op": op}
    if data is not None:
        e["data"] = data
    return f"{kind}/{ident}".encode() + b"\x00" + json.dumps(e).encode()

generated_publisher_free = [
    event("client", "mobile-app", 43, {"id": "mobile-app", "status": "suspended", "scopes": []}),
    event("issuer", policy["issuers"][0]["id"], 44, policy["issuers"][0]),
    event("api", "orders", 45, policy["apis"][0]),
    event("client", "mobile-app", 46, op="delete"),
    b"client/ghost",
    event("client", "new", 41, {"id": "new", "status": "active"}),
]
for mode in [0, 1, 2, 3]:
    write("stream_record", bytes([mode]) + b"\x1e".join(generated_publisher_free))
    write("stream_record", bytes([mode]) + event("client", "app", 8, {"id": "app", "status": "suspended"}) + b"\x1e" + event("client", "app", 8, {"id": "app", "status": "active"}))
