# The authorizer's allow rule written for Open Policy Agent, for the side-by-side benchmark
# in scripts/bench/opa.sh. It reads the same policy document as the authorizer (loaded as
# `data`: issuers, clients, apis) and an input holding the request:
#
#   {"api_id": "orders", "method": "GET", "path": "/orders/42", "token": "<JWT>", "now": 1795000000}
#
# Checks, as the authorizer does: the route matches (a `public` route is allowed), the
# token's `iss` names an issuer, its `alg` is in the issuer's allow-list, its `kid` names a
# key of that issuer that is not revoked, the signature verifies with that key (the JWK from
# the policy, as a JWKS), `exp`/`nbf` hold at `now`, `aud` is one of the issuer's audiences,
# the client is known and active, and every scope the route needs is both in the token's
# `scope` and granted to the client. Simplifications, none of which the benchmark's request
# exercises: no deny reason, no leeway, no `scp` claim, no `ANY` method and no `{param+}`
# templates, and a path matching two routes is an evaluation error instead of "the more
# specific wins".
package gateway.authz

default allow := false

allow if route.public

allow if {
	not route.public
	verified_claims
	client.status == "active"
	token_scopes := {s | some s in split(verified_claims.scope, " ")}
	every s in route.scopes {
		s in token_scopes
		s in client.scopes
	}
}

api := a if {
	some a in data.apis
	a.id == input.api_id
}

path_segments := split(trim_prefix(input.path, "/"), "/")

route := r if {
	some r in api.routes
	[method, template] := split(r.route, " ")
	method == input.method
	segments := split(trim_prefix(template, "/"), "/")
	count(segments) == count(path_segments)
	every i, s in segments {
		segment_matches(s, path_segments[i])
	}
}

segment_matches(s, _) if startswith(s, "{")

segment_matches(s, p) if {
	not startswith(s, "{")
	s == p
}

# Header and claims before verification: they only select the issuer and the key.
unverified := io.jwt.decode(input.token)

issuer := i if {
	some i in data.issuers
	i.issuer == unverified[1].iss
}

key := k if {
	unverified[0].alg in issuer.algorithms
	some k in issuer.keys
	k.kid == unverified[0].kid
	k.status != "revoked"
}

verified_claims := claims if {
	some aud in issuer.audiences
	[valid, _, claims] := io.jwt.decode_verify(input.token, {
		"cert": json.marshal({"keys": [key.jwk]}),
		"alg": unverified[0].alg,
		"iss": issuer.issuer,
		"aud": aud,
		"time": input.now * 1000000000,
	})
	valid
}

client := c if {
	some c in data.clients
	c.id == verified_claims.client_id
}
