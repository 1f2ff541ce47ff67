#!/usr/bin/env python3
"""The inputs of the OPA side-by-side benchmark, mirroring the criterion fixture of
authorizer/benches/decision.rs (`decision/RS256`): the same policy (issuer, audiences,
algorithms, client, routes), an RS256 key of the same size, and a token with the same claims,
valid until NOW + 600 with NOW = 1795000000, for GET /orders/42 on API `orders`.

usage: opa_fixture.py AUTHZ BENCH_OPA_DIR OUT_DIR
Writes OUT_DIR/{rsa.json, policy.json, input.json, event.json, input-*.json (negative cases)}.
The token is signed with `openssl dgst -sha256 -sign` (RSASSA-PKCS1-v1_5, as RS256).
"""
import base64
import copy
import json
import os
import subprocess
import sys
import textwrap

NOW = 1_795_000_000
ISS = "https://idp.example.com"
AUD = "https://api.example.com"


def b64u(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compact(value):
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def main():
    authz, opa_dir, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    key_file = os.path.join(out, "rsa.json")
    if os.path.exists(key_file):
        os.remove(key_file)
    jwk = json.loads(subprocess.check_output([authz, "keygen", "--kid", "rsa", "--alg", "RS256", "--out", key_file]))
    with open(key_file) as f:
        pkcs8 = json.load(f)["pkcs8"]
    pem = os.path.join(out, "rsa.pem")
    with open(os.open(pem, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as f:
        f.write("-----BEGIN PRIVATE KEY-----\n" + "\n".join(textwrap.wrap(pkcs8, 64)) + "\n-----END PRIVATE KEY-----\n")

    def token(claims):
        signing_input = b64u(compact({"alg": "RS256", "kid": "rsa", "typ": "JWT"})) + "." + b64u(compact(claims))
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", pem], input=signing_input.encode(),
                             capture_output=True, check=True).stdout
        return signing_input + "." + b64u(sig)

    claims = {"iss": ISS, "aud": AUD, "client_id": "mobile-app", "scope": "orders:read orders:write", "exp": NOW + 600}
    policy = {
        "schema": "gateway-policy/v1", "revision": 1,
        "issuers": [{"id": "idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["RS256", "PS256", "ES256", "EdDSA"],
                     "keys": [{"kid": "rsa", "status": "active", "jwk": jwk}]}],
        "clients": [{"id": "mobile-app", "status": "active", "scopes": ["orders:read", "orders:write"]}],
        "apis": [{"id": "orders", "routes": [
            {"route": "GET /orders", "scopes": ["orders:read"]}, {"route": "GET /orders/{id}", "scopes": ["orders:read"]},
            {"route": "POST /orders", "scopes": ["orders:write"]}, {"route": "GET /health", "public": True}]}],
    }
    with open(os.path.join(opa_dir, "request.json")) as f:
        request = json.load(f)
    good = token(claims)

    def write(name, value):
        with open(os.path.join(out, name), "w") as f:
            json.dump(value, f)

    write("policy.json", policy)
    write("input.json", dict(request, token=good, now=NOW))
    # The same request as an HTTP API 2.0 event, for `authz decide --now`.
    path = request["path"]
    write("event.json", {"version": "2.0", "type": "REQUEST",
                         "routeArn": f"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET{path}",
                         "routeKey": f"GET {path}", "rawPath": path,
                         "headers": {"authorization": f"Bearer {good}"},
                         "requestContext": {"http": {"method": request["method"], "path": path}}})
    # Cases that must be denied by both.
    write("input-expired.json", dict(request, token=good, now=NOW + 601))
    write("input-bad-signature.json", dict(request, token=good[:-6] + ("AAAAAA" if not good.endswith("AAAAAA") else "BBBBBB"), now=NOW))
    write("input-wrong-audience.json", dict(request, token=token(dict(claims, aud="https://other.example.com")), now=NOW))
    write("input-missing-scope.json", dict(request, token=token(dict(claims, scope="orders:write")), now=NOW))
    suspended = copy.deepcopy(policy)
    suspended["clients"][0]["status"] = "suspended"
    write("policy-suspended.json", suspended)


if __name__ == "__main__":
    main()
