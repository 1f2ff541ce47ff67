package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"gateway/test/e2e/harness"
)

// `authz gateway`, the local stand-in for API Gateway used by `make demo`: HTTP in, the
// HTTP API 2.0 authorizer event to the function under the emulator, 401/403 or the
// upstream's answer out.

func startGateway(t *testing.T, args ...string) *harness.Gateway {
	t.Helper()
	g, err := paths.StartGateway(args...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Stop()
		if t.Failed() {
			t.Logf("authz gateway %v:\n%s", args, tail(g.Logs(), 30))
		}
	})
	return g
}

type reply struct {
	status int
	header http.Header
	body   map[string]any
}

func send(t *testing.T, method, url, auth, body string, headers ...string) reply {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header}
	if err := json.Unmarshal(data, &r.body); err != nil {
		t.Fatalf("%s %s: body is not a JSON object: %s", method, url, data)
	}
	return r
}

func TestGatewayFront(t *testing.T) {
	if !supportsGateway() {
		t.Fatalf("%s has no `gateway` subcommand: rebuild with `make build-native`", paths.Authz)
	}
	key := newKey(t)
	f := bakedFunction(t, testPolicy(key, 7))
	upstream := startGateway(t, "--echo")
	gw := startGateway(t, "--invoke-url", f.InvokeURL, "--upstream", upstream.URL)
	read := bearer(key, "web-app", "orders:read")

	t.Run("allowed requests reach the upstream with the authorizer context", func(t *testing.T) {
		r := send(t, "GET", gw.URL+"/orders/42?page=2&q=a%20b", read, "")
		if r.status != 200 || r.body["path"] != "/orders/42" || r.body["query"] != "page=2&q=a%20b" || r.body["method"] != "GET" {
			t.Fatalf("got %d %v", r.status, r.body)
		}
		ctx, _ := r.body["authorizer"].(map[string]any)
		if ctx["principal"] != "web-app" || ctx["reason"] != "ok" || ctx["stale"] != false || ctx["policyRevision"] != 7.0 {
			t.Fatalf("authorizer context at the upstream: %v", r.body["authorizer"])
		}
		if !strings.HasPrefix(r.header.Get("Server-Timing"), "authorizer;dur=") {
			t.Errorf("no Server-Timing header: %v", r.header)
		}
	})
	t.Run("request bodies are passed on", func(t *testing.T) {
		r := send(t, "POST", gw.URL+"/orders", bearer(key, "web-app", "orders:write"), `{"sku":"x-1"}`)
		if r.status != 200 || r.body["method"] != "POST" || r.body["body_bytes"] != 13.0 {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	t.Run("a client cannot supply the authorizer context", func(t *testing.T) {
		r := send(t, "GET", gw.URL+"/health", "", "", "X-Authorizer-Context", `{"principal":"admin","reason":"ok"}`)
		ctx, _ := r.body["authorizer"].(map[string]any)
		if r.status != 200 || ctx["reason"] != "public_route" || ctx["principal"] != nil {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	t.Run("public route without a token", func(t *testing.T) {
		r := send(t, "GET", gw.URL+"/health", "", "")
		ctx, _ := r.body["authorizer"].(map[string]any)
		if r.status != 200 || ctx["reason"] != "public_route" {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	for _, c := range []struct {
		name, method, path, auth string
		status                   int
		message, reason          string
	}{
		{"no token is 401", "GET", "/orders", "", 401, "Unauthorized", "missing_token"},
		{"a deny is 403", "POST", "/orders", read, 403, "Forbidden", "insufficient_scope"},
		{"unknown route is 403", "GET", "/admin", read, 403, "Forbidden", "unknown_route"},
		{"a suspended client is 403", "GET", "/orders", bearer(key, "old-partner", "orders:read"), 403, "Forbidden", "client_suspended"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, c.method, gw.URL+c.path, c.auth, "")
			if r.status != c.status || r.body["message"] != c.message || r.body["reason"] != c.reason {
				t.Fatalf("got %d %v, want %d %s %s", r.status, r.body, c.status, c.message, c.reason)
			}
		})
	}
	t.Run("without an upstream the context is the answer", func(t *testing.T) {
		bare := startGateway(t, "--invoke-url", f.InvokeURL)
		r := send(t, "GET", bare.URL+"/orders", read, "")
		ctx, _ := r.body["context"].(map[string]any)
		if r.status != 200 || r.body["authorized"] != true || ctx["principal"] != "web-app" {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	t.Run("an authorizer that cannot be reached is 502", func(t *testing.T) {
		port, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		broken := startGateway(t, "--invoke-url", fmt.Sprintf("http://127.0.0.1:%d/2015-03-31/functions/function/invocations", port))
		r := send(t, "GET", broken.URL+"/orders", read, "")
		if r.status != 502 || r.body["message"] != "Bad Gateway" {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	t.Run("an upstream that cannot be reached is 502", func(t *testing.T) {
		port, err := harness.FreePort()
		if err != nil {
			t.Fatal(err)
		}
		broken := startGateway(t, "--invoke-url", f.InvokeURL, "--upstream", fmt.Sprintf("http://127.0.0.1:%d", port))
		r := send(t, "GET", broken.URL+"/orders", read, "")
		if r.status != 502 {
			t.Fatalf("got %d %v", r.status, r.body)
		}
	})
	t.Run("a malformed request is 400", func(t *testing.T) {
		conn, err := net.DialTimeout("tcp", strings.TrimPrefix(gw.URL, "http://"), 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("NOT HTTP AT ALL\r\n\r\n")); err != nil {
			t.Fatal(err)
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		if err != nil || !strings.HasPrefix(line, "HTTP/1.1 400") {
			t.Fatalf("got %q, %v", line, err)
		}
	})
	// The gateway is still serving after all of the above.
	if r := send(t, "GET", gw.URL+"/orders/1", read, ""); r.status != 200 {
		t.Fatalf("after the error cases: %d %v", r.status, r.body)
	}
}

func supportsGateway() bool {
	out, err := paths.AuthzCLI("gateway", "--help")
	return err == nil && strings.Contains(out, "--invoke-url")
}
