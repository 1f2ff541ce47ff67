package e2e

import (
	"encoding/json"
	"sort"
	"testing"
	"time"

	"gateway/test/e2e/harness"
)

// Every event shape API Gateway sends, through the emulator's invoke API, with the baked
// policy only.

func TestHTTPAPIv2Decisions(t *testing.T) {
	key := newKey(t)
	f := bakedFunction(t, testPolicy(key, 7))
	forged := newKey(t)
	forged.Kid = key.Kid // same kid, other private key

	cases := []struct {
		name, method, path, auth string
		allow                    bool
		// principal: the verified client, named in the context once the token verified
		// (denies after that point too), absent before.
		reason, principal string
	}{
		{"scoped token", "GET", "/orders/42", bearer(key, "web-app", "orders:read"), true, "ok", "web-app"},
		{"write scope", "POST", "/orders", bearer(key, "web-app", "orders:read orders:write"), true, "ok", "web-app"},
		{"public route, no token", "GET", "/health", "", true, "public_route", ""},
		{"no token", "GET", "/orders", "", false, "missing_token", ""},
		{"scope missing from token", "POST", "/orders", bearer(key, "web-app", "orders:read"), false, "insufficient_scope", "web-app"},
		{"scope not granted to client", "POST", "/orders", bearer(key, "reporting", "orders:write"), false, "insufficient_scope", "reporting"},
		{"unknown route", "GET", "/invoices", bearer(key, "web-app", "orders:read"), false, "unknown_route", ""},
		{"suspended client", "GET", "/orders", bearer(key, "old-partner", "orders:read"), false, "client_suspended", "old-partner"},
		{"unknown client", "GET", "/orders", bearer(key, "nobody", "orders:read"), false, "unknown_client", "nobody"},
		{"expired", "GET", "/orders", "Bearer " + key.MustMint(harness.Token{Issuer: issuerURL, Audience: audience,
			Client: "web-app", Scope: "orders:read", IssuedAt: time.Now().Add(-time.Hour), TTL: 10 * time.Minute}), false, "expired", ""},
		{"wrong audience", "GET", "/orders", "Bearer " + key.MustMint(harness.Token{Issuer: issuerURL, Audience: "https://elsewhere",
			Client: "web-app", Scope: "orders:read"}), false, "wrong_audience", ""},
		{"unknown issuer", "GET", "/orders", "Bearer " + key.MustMint(harness.Token{Issuer: "https://evil.example",
			Audience: audience, Client: "web-app", Scope: "orders:read"}), false, "unknown_issuer", ""},
		{"forged signature", "GET", "/orders", bearer(forged, "web-app", "orders:read"), false, "bad_signature", ""},
		{"basic auth", "GET", "/orders", "Basic dXNlcjpwYXNz", false, "malformed_token", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			inv, err := f.Invoke(harness.HTTPv2Event(c.method, c.path, c.auth))
			if err != nil {
				t.Fatal(err)
			}
			// Exactly a simple response: isAuthorized and a flat context.
			var r harness.SimpleResponse
			if err := harness.DecodeStrict(inv.Body, &r); err != nil {
				t.Fatal(err)
			}
			if r.IsAuthorized != c.allow || r.Context["reason"] != c.reason {
				t.Fatalf("got isAuthorized=%v reason=%v, want %v %s: %s", r.IsAuthorized, r.Context["reason"], c.allow, c.reason, inv.Body)
			}
			want := []string{"policyRevision", "reason", "scopes", "stale"}
			if c.principal != "" {
				want = append(want, "clientId", "principal")
				if r.Context["principal"] != c.principal || r.Context["clientId"] != c.principal {
					t.Errorf("principal/clientId = %v/%v, want %s", r.Context["principal"], r.Context["clientId"], c.principal)
				}
			}
			if got := keys(r.Context); !equal(got, sorted(want)) {
				t.Errorf("context keys %v, want %v", got, sorted(want))
			}
			if r.Context["policyRevision"] != 7.0 || r.Context["stale"] != false {
				t.Errorf("policyRevision=%v stale=%v, want 7 false", r.Context["policyRevision"], r.Context["stale"])
			}
			for _, v := range r.Context {
				switch v.(type) {
				case string, float64, bool:
				default:
					t.Errorf("context value %v is not a string, number or boolean (API Gateway needs a flat context)", v)
				}
			}
		})
	}
	// One allow grants only what it names: the scopes in context are the granted ones.
	v, _ := decide(t, f, harness.HTTPv2Event("GET", "/orders", bearer(key, "reporting", "orders:read orders:write")))
	if !v.Allowed || v.Principal != "reporting" {
		t.Fatalf("reporting with orders:read: %+v", v)
	}
}

func TestRESTTokenAuthorizer(t *testing.T) {
	key := newKey(t)
	f := bakedFunction(t, testPolicy(key, 7))
	stage := harness.RESTMethodArnStage

	t.Run("allow lists exactly the callable routes", func(t *testing.T) {
		event := harness.RESTTokenEvent("GET", "/orders/42", bearer(key, "reporting", "orders:read"))
		r := iamResponse(t, f, event)
		if r.PrincipalID != "reporting" || r.PolicyDocument.Version != "2012-10-17" || r.Context["reason"] != "ok" {
			t.Fatalf("unexpected response %+v", r)
		}
		// The policy is cached per token by API Gateway and applied to its other calls.
		for arn, want := range map[string]bool{
			stage + "/GET/orders/42":    true,
			stage + "/GET/orders":       true,
			stage + "/GET/health":       true,
			stage + "/POST/orders":      false, // reporting lacks orders:write
			stage + "/DELETE/orders/42": false,
			stage + "/GET/invoices":     false, // no such route
		} {
			if got := r.Allows(arn); got != want {
				t.Errorf("policy allows %s = %v, want %v (%+v)", arn, got, want, r.PolicyDocument.Statement)
			}
		}
	})
	t.Run("unusable token is cached as public routes only", func(t *testing.T) {
		expired := "Bearer " + key.MustMint(harness.Token{Issuer: issuerURL, Audience: audience, Client: "web-app",
			Scope: "orders:read", IssuedAt: time.Now().Add(-time.Hour), TTL: time.Minute})
		r := iamResponse(t, f, harness.RESTTokenEvent("GET", "/orders", expired))
		if r.Context["reason"] != "expired" {
			t.Fatalf("unexpected response %+v", r)
		}
		for arn, want := range map[string]bool{
			stage + "/GET/health":       true, // public: a fresh decision allows it with any token
			stage + "/GET/health/":      false,
			stage + "/GET/orders":       false,
			stage + "/GET/orders/42":    false,
			stage + "/DELETE/orders/42": false,
		} {
			if got := r.Allows(arn); got != want {
				t.Errorf("policy allows %s = %v, want %v (%+v)", arn, got, want, r.PolicyDocument.Statement)
			}
		}
	})
	t.Run("insufficient scope denies the route", func(t *testing.T) {
		event := harness.RESTTokenEvent("POST", "/orders", bearer(key, "reporting", "orders:read"))
		r := iamResponse(t, f, event)
		if r.Allows(harness.EventArn(event)) || r.Context["reason"] != "insufficient_scope" {
			t.Fatalf("unexpected response %+v", r)
		}
	})
	t.Run("empty token", func(t *testing.T) {
		r := iamResponse(t, f, harness.RESTTokenEvent("GET", "/orders", ""))
		if r.Allows(stage+"/GET/orders") || r.Context["reason"] != "missing_token" {
			t.Fatalf("unexpected response %+v", r)
		}
	})
}

func TestRESTRequestAuthorizer(t *testing.T) {
	key := newKey(t)
	f := bakedFunction(t, testPolicy(key, 7))
	for _, c := range []struct {
		name, method, path, auth string
		allow                    bool
		reason                   string
	}{
		{"allow", "POST", "/orders", bearer(key, "web-app", "orders:write"), true, "ok"},
		{"no header", "GET", "/orders", "", false, "missing_token"},
		{"public route", "GET", "/health", "", true, "public_route"},
		{"suspended client", "GET", "/orders/7", bearer(key, "old-partner", "orders:read"), false, "client_suspended"},
	} {
		t.Run(c.name, func(t *testing.T) {
			event := harness.RESTRequestEvent(c.method, c.path, c.auth)
			r := iamResponse(t, f, event)
			if r.Allows(harness.EventArn(event)) != c.allow || r.Context["reason"] != c.reason {
				t.Fatalf("got allow=%v reason=%v, want %v %s: %+v", r.Allows(harness.EventArn(event)), r.Context["reason"], c.allow, c.reason, r)
			}
			if c.allow && c.reason == "ok" && r.PrincipalID != "web-app" {
				t.Errorf("principalId %q, want web-app", r.PrincipalID)
			}
		})
	}
}

func iamResponse(t *testing.T, f *harness.Function, event map[string]any) harness.IAMResponse {
	t.Helper()
	inv, err := f.Invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	var r harness.IAMResponse
	if err := harness.DecodeStrict(inv.Body, &r); err != nil {
		t.Fatal(err)
	}
	for _, s := range r.PolicyDocument.Statement {
		if len(s.Action) != 1 || s.Action[0] != "execute-api:Invoke" {
			t.Errorf("statement action %v, want [execute-api:Invoke]", s.Action)
		}
	}
	return r
}

func keys(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
