#!/usr/bin/env python3
"""Policies, keys and events shared by the end-to-end benchmarks (rie.sh, fleet.sh).

usage: fixtures.py AUTHZ LARGE_POLICY.json|- OUT_DIR   (- : skip the large policy)

Writes into OUT_DIR:
  bench-rsa.json             an RS256 key (`authz keygen`), local to the benchmarks
  large-bench-policy.json    the 10,000-client policy plus an issuer holding that key
  protected-event.json       HTTP API 2.0 event: GET /things-1/42 on api-001 with a token
                             for client-00001 (scope api-001:read), which is allowed
  public-event.json          HTTP API 2.0 event: GET /health (public)
  fleet-active.json          a small policy (API `orders`, client `mobile-app` active)
  fleet-suspended.json       the same with `mobile-app` suspended
  fleet-event.json           GET /orders/42 with a token for mobile-app
Tokens are valid for a day from now (the bootstrap decides on the real clock).
"""
import copy
import json
import os
import subprocess
import sys

ISS = "https://bench-idp.example.com"
AUD = "https://api.example.com"


def v2_event(api_path, token=None):
    e = {"version": "2.0", "type": "REQUEST",
         "routeArn": f"arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/GET{api_path}",
         "routeKey": f"GET {api_path}", "rawPath": api_path, "rawQueryString": "",
         "headers": {"host": "a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com", "user-agent": "bench"},
         "requestContext": {"accountId": "123456789012", "apiId": "a1b2c3d4e5",
                            "http": {"method": "GET", "path": api_path, "protocol": "HTTP/1.1",
                                     "sourceIp": "203.0.113.7", "userAgent": "bench"},
                            "requestId": "bench", "routeKey": f"GET {api_path}", "stage": "prod"}}
    if token:
        e["headers"]["authorization"] = f"Bearer {token}"
        e["identitySource"] = [f"Bearer {token}"]
    return e


def main():
    authz, large, out = sys.argv[1:4]
    os.makedirs(out, exist_ok=True)
    key = os.path.join(out, "bench-rsa.json")
    if os.path.exists(key):
        os.remove(key)
    jwk = json.loads(subprocess.check_output([authz, "keygen", "--kid", "bench-rsa", "--alg", "RS256", "--out", key]))
    issuer = {"id": "bench-idp", "issuer": ISS, "audiences": [AUD], "algorithms": ["RS256"],
              "keys": [{"kid": "bench-rsa", "status": "active", "jwk": jwk}]}

    def token(client, scope):
        return subprocess.check_output([authz, "dev-token", "--key", key, "--issuer", ISS, "--audience", AUD,
                                        "--client", client, "--scope", scope, "--ttl", "86400"], text=True).strip()

    def write(name, value):
        with open(os.path.join(out, name), "w") as f:
            json.dump(value, f)

    if large != "-":
        with open(large) as f:
            policy = json.load(f)
        policy["issuers"].append(issuer)
        write("large-bench-policy.json", policy)
    write("protected-event.json", v2_event("/things-1/42", token("client-00001", "api-001:read")))
    write("public-event.json", v2_event("/health"))

    fleet = {"schema": "gateway-policy/v1", "revision": 1, "issuers": [issuer],
             "clients": [{"id": "mobile-app", "status": "active", "scopes": ["orders:read"]},
                         {"id": "web-app", "status": "active", "scopes": ["orders:read"]}],
             "apis": [{"id": "orders", "routes": [{"route": "GET /orders/{id}", "scopes": ["orders:read"]},
                                                  {"route": "GET /health", "public": True}]}]}
    write("fleet-active.json", fleet)
    suspended = copy.deepcopy(fleet)
    suspended["clients"][0]["status"] = "suspended"
    write("fleet-suspended.json", suspended)
    write("fleet-event.json", v2_event("/orders/42", token("mobile-app", "orders:read")))


if __name__ == "__main__":
    main()
