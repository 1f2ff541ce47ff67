// Package e2e tests the authorizer as it is deployed: the real `bootstrap` binary under
// the AWS Lambda Runtime Interface Emulator, fed API Gateway authorizer events through
// the emulator's invoke API, reading its policy from a real Kafka broker. TestNodejsHandler
// runs the same tests against the TypeScript build (authorizer-ts/dist, `make ts-test`).
//
// It needs `make build-native` (the binaries), Java 17 and Maven (Kafka), and installs
// aws-lambda-rie itself when missing (scripts/tools-emulator.sh). The broker runs on
// E2E_KAFKA_BOOTSTRAP (default 127.0.0.1:19092, away from the demo's and the Rust
// integration tests' 9092); it is started on first use and removed at the end.
package e2e

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"gateway/test/e2e/harness"
)

var (
	paths harness.Paths

	kafkaOnce    sync.Once
	kafkaErr     error
	kafkaStarted bool
	kafka        harness.Kafka
	kafkaMu      sync.Mutex
)

func TestMain(m *testing.M) {
	flag.Parse()
	var err error
	paths, err = harness.Locate()
	if err != nil {
		fmt.Fprintf(os.Stderr, "e2e: %v\n", err)
		os.Exit(1)
	}
	kafka = harness.Kafka{Root: paths.Root, Bootstrap: envOr("E2E_KAFKA_BOOTSTRAP", "127.0.0.1:19092")}
	// An interrupted run still removes the broker it started.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		stopKafka()
		os.Exit(130)
	}()
	code := m.Run()
	stopKafka()
	os.Exit(code)
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// needKafka starts the broker on first use (a run of only the decision tests needs none).
func needKafka(t *testing.T) string {
	t.Helper()
	kafkaOnce.Do(func() {
		took, err := kafka.Up()
		kafkaMu.Lock()
		kafkaStarted = err == nil
		kafkaMu.Unlock()
		kafkaErr = err
		if err == nil {
			fmt.Fprintf(os.Stderr, "e2e: Kafka up on %s in %s\n", kafka.Bootstrap, took.Round(time.Millisecond))
		}
	})
	if kafkaErr != nil {
		t.Fatalf("Kafka: %v", kafkaErr)
	}
	return kafka.Bootstrap
}

func stopKafka() {
	kafkaMu.Lock()
	defer kafkaMu.Unlock()
	if kafkaStarted {
		if _, err := kafka.Down(); err != nil {
			fmt.Fprintf(os.Stderr, "e2e: stopping Kafka: %v\n", err)
		}
		kafkaStarted = false
	}
}

// uniqueTopic names a fresh policy topic, so tests never see each other's events.
func uniqueTopic(name string) string {
	return fmt.Sprintf("e2e-%s-%d.v1", name, time.Now().UnixNano())
}

// The policy of these tests: one issuer whose key the test holds, three clients, one API.
const (
	issuerURL = "https://e2e-idp.local"
	audience  = "https://e2e-api.local"
	apiID     = "orders"
)

func testPolicy(key *harness.TestKey, revision int, suspended ...string) map[string]any {
	status := func(id string) string {
		for _, s := range suspended {
			if s == id {
				return "suspended"
			}
		}
		return "active"
	}
	return map[string]any{
		"schema":   "gateway-policy/v1",
		"revision": revision,
		"issuers": []any{map[string]any{
			"id": "e2e-idp", "issuer": issuerURL, "audiences": []string{audience},
			"algorithms": []string{"ES256"}, "client_id_claims": []string{"client_id"},
			"leeway_seconds": 30,
			"keys":           []any{map[string]any{"kid": key.Kid, "status": "active", "jwk": key.JWK()}},
		}},
		"clients": []any{
			map[string]any{"id": "web-app", "status": status("web-app"), "scopes": []string{"orders:read", "orders:write"}},
			map[string]any{"id": "reporting", "status": status("reporting"), "scopes": []string{"orders:read"}},
			map[string]any{"id": "old-partner", "status": "suspended", "scopes": []string{"orders:read"}},
		},
		"apis": []any{map[string]any{"id": apiID, "routes": []any{
			map[string]any{"route": "GET /orders", "scopes": []string{"orders:read"}},
			map[string]any{"route": "GET /orders/{id}", "scopes": []string{"orders:read"}},
			map[string]any{"route": "POST /orders", "scopes": []string{"orders:write"}},
			map[string]any{"route": "DELETE /orders/{id}", "scopes": []string{"orders:admin"}},
			map[string]any{"route": "GET /health", "public": true},
		}}},
	}
}

func writeJSON(t *testing.T, path string, v any) string {
	t.Helper()
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func newKey(t *testing.T) *harness.TestKey {
	t.Helper()
	key, err := harness.NewTestKey(fmt.Sprintf("e2e-%d", time.Now().UnixNano()))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func bearer(key *harness.TestKey, client, scope string) string {
	return "Bearer " + key.MustMint(harness.Token{Issuer: issuerURL, Audience: audience, Client: client, Scope: scope})
}

// startFunction starts bootstrap under the emulator; its logs are shown if the test fails.
func startFunction(t *testing.T, cfg harness.FunctionConfig) *harness.Function {
	t.Helper()
	if node != nil && len(cfg.Command) == 0 {
		cfg.Command = node.Command() // under TestNodejsHandler: the TypeScript build
	}
	f, err := paths.StartFunction(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		f.Stop()
		if t.Failed() {
			t.Logf("function output:\n%s", tail(f.Logs(), 60))
		}
	})
	return f
}

func tail(text string, lines int) string {
	all := strings.Split(strings.TrimRight(text, "\n"), "\n")
	if len(all) > lines {
		all = all[len(all)-lines:]
	}
	return strings.Join(all, "\n")
}

// bakedFunction runs a function with a baked policy and no stream.
func bakedFunction(t *testing.T, policy map[string]any) *harness.Function {
	t.Helper()
	file := writeJSON(t, filepath.Join(t.TempDir(), "policy.json"), policy)
	return startFunction(t, harness.FunctionConfig{Env: map[string]string{
		"AUTHZ_API_ID": apiID, "AUTHZ_POLICY_FILE": file, "AUTHZ_LOG_LEVEL": "info",
	}})
}

// decide invokes the function and reads the decision back.
func decide(t *testing.T, f *harness.Function, event map[string]any) (harness.Verdict, harness.Invocation) {
	t.Helper()
	inv, err := f.Invoke(event)
	if err != nil {
		t.Fatal(err)
	}
	v, err := harness.ReadVerdict(inv.Body, harness.EventArn(event))
	if err != nil {
		t.Fatal(err)
	}
	return v, inv
}

// pollUntil invokes every 10 ms until done says so, for at most limit; every verdict on
// the way goes through check (which may t.Fatal). It returns how long it took, how many
// invocations, and the verdict that ended it.
func pollUntil(t *testing.T, f *harness.Function, event map[string]any, limit time.Duration,
	done func(harness.Verdict) bool, check func(harness.Verdict)) (time.Duration, int, harness.Verdict) {
	t.Helper()
	each := func(v harness.Verdict) error {
		if check != nil {
			check(v)
		}
		return nil
	}
	r, err := harness.Poll(f, event, 10*time.Millisecond, limit, done, each)
	if err != nil {
		t.Fatal(err)
	}
	return r.Took, r.N, r.Last
}

func percentiles(ds []time.Duration) (p50, p99, max time.Duration) {
	if len(ds) == 0 {
		return
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(q float64) time.Duration { return s[int(q*float64(len(s)-1)+0.5)] }
	return at(0.50), at(0.99), s[len(s)-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }
