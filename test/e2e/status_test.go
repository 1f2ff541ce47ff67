package e2e

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gateway/test/e2e/harness"
)

// Fleet status as deployed (docs/fleet.md): the function reports on a status topic and
// `authz fleet --json` reads it. Under TestNodejsHandler the same test reads the TypeScript
// build's reports with the Rust CLI.

type fleetEnv struct {
	Environment   string      `json:"environment"`
	Live          bool        `json:"live"`
	Revision      int64       `json:"revision"`
	Source        string      `json:"source"`
	Stale         bool        `json:"stale"`
	CaughtUp      bool        `json:"caught_up"`
	RejectedTotal int64       `json:"rejected_total"`
	Nacks         []fleetNack `json:"nacks"`
	ModuleVersion string      `json:"module_version"`
	Authorizer    string      `json:"authorizer"`
}

type fleetNack struct {
	Key      string `json:"key"`
	Revision *int64 `json:"revision"`
	Reason   string `json:"reason"`
}

type fleetGateway struct {
	Gateway      string      `json:"gateway"`
	Account      string      `json:"account"`
	Region       string      `json:"region"`
	State        string      `json:"state"`
	Environments []fleetEnv  `json:"environments"`
	Nacks        []fleetNack `json:"nacks"`
}

type fleetDoc struct {
	Headline string         `json:"headline"`
	Gateways []fleetGateway `json:"gateways"`
}

// fleetOf reads the status topic with `authz fleet --json` (it exits 1 while a gateway is
// not reconciled: the document is what counts here).
func fleetOf(t *testing.T, brokers, statusTopic, gateway string) *fleetGateway {
	t.Helper()
	out, _ := paths.AuthzCLI("fleet", "--brokers", brokers, "--status-topic", statusTopic, "--json")
	var doc fleetDoc
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("authz fleet --json: %v: %s", err, out)
	}
	for i := range doc.Gateways {
		if doc.Gateways[i].Gateway == gateway {
			return &doc.Gateways[i]
		}
	}
	return nil
}

func TestFleetStatus(t *testing.T) {
	brokers := needKafka(t)
	topic := uniqueTopic("status-policy")
	createTopic(t, brokers, topic)
	statusTopic := uniqueTopic("status")
	if _, err := paths.AuthzCLI("fleet", "--brokers", brokers, "--status-topic", statusTopic, "--create-topic", "--replication-factor", "1"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "portal.key")
	jwkText, err := paths.AuthzCLI("keygen", "--kid", "portal-e2e", "--alg", "EdDSA", "--out", keyFile)
	if err != nil {
		t.Fatal(err)
	}
	var jwk map[string]any
	if err := json.Unmarshal([]byte(jwkText), &jwk); err != nil {
		t.Fatalf("keygen printed %q: %v", jwkText, err)
	}
	key := newKey(t)
	signed := func(revision int, suspended ...string) map[string]any {
		p := testPolicy(key, revision, suspended...)
		p["publishers"] = []any{map[string]any{"kid": "portal-e2e", "jwk": jwk}}
		return p
	}
	baked := writeJSON(t, filepath.Join(dir, "baked.json"), signed(10))
	v11 := writeJSON(t, filepath.Join(dir, "v11.json"), signed(11))
	if out, err := paths.AuthzCLI("publish", "--brokers", brokers, "--topic", topic, "--signing-key", keyFile, v11); err != nil {
		t.Fatal(err)
	} else {
		t.Logf("authz publish (signed): %s", out)
	}

	gateway := fmt.Sprintf("e2e-orders-%d", time.Now().UnixNano()%1_000_000)
	build := "rust"
	if node != nil {
		build = "typescript"
	}
	f := streamFunction(t, brokers, topic, baked, map[string]string{
		"AUTHZ_STATUS_TOPIC": statusTopic, "AUTHZ_STATUS_INTERVAL_MS": "2000", "AUTHZ_GATEWAY_NAME": gateway,
		"AUTHZ_ACCOUNT_ID": "123456789012", "AWS_REGION": "eu-west-1", "AUTHZ_MODULE_VERSION": "1.4.0",
	})
	event := harness.HTTPv2Event("GET", "/orders/42", bearer(key, "web-app", "orders:read"))

	// Polls (a decision, then the fleet) until the gateway is in `state`: reports are
	// asynchronous and invocation reports come at most every 2 s here (the interval stays above AUTHZ_MAX_STALENESS_MS, docs/fleet.md).
	until := func(state string) *fleetGateway {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			v, _ := decide(t, f, event)
			if !isOK(v) {
				t.Fatalf("web-app denied: %+v", v)
			}
			g := fleetOf(t, brokers, statusTopic, gateway)
			if (g != nil && g.State == state) || time.Now().After(deadline) {
				if g == nil || g.State != state {
					t.Fatalf("gateway %s not %s within 60 s: %+v", gateway, state, g)
				}
				return g
			}
		}
	}

	g := until("reconciled")
	if len(g.Environments) != 1 {
		t.Fatalf("one environment expected: %+v", g)
	}
	env := g.Environments[0]
	// `authz publish` numbers the events past the topic's and the document's revisions.
	published := env.Revision
	if g.Account != "123456789012" || g.Region != "eu-west-1" || published <= 10 || env.Source != "stream" || env.Stale ||
		!env.CaughtUp || env.ModuleVersion != "1.4.0" || len(env.Environment) != 32 ||
		(build == "rust" && !strings.HasPrefix(env.Authorizer, "rust ")) || (build == "typescript" && env.Authorizer != "typescript 0.1.0") {
		t.Fatalf("reconciled past the baked revision as a %s build: %+v", build, g)
	}

	// Someone with write access but no key publishes a newer revision: every record is
	// unsigned, refused and reported as a NACK; the decisions do not change.
	forged := writeJSON(t, filepath.Join(dir, "forged.json"), testPolicy(key, int(published)+1, "web-app"))
	publish(t, brokers, topic, forged)
	g = until("nacking")
	env = g.Environments[0]
	if env.Revision != published || env.Stale || env.RejectedTotal == 0 || len(g.Nacks) == 0 {
		t.Fatalf("nacking at %d: %+v", published, g)
	}
	for _, n := range g.Nacks {
		if n.Reason != "unsigned" || n.Revision == nil || *n.Revision <= published {
			t.Fatalf("a NACK of an unsigned record claiming a revision past %d: %+v", published, g.Nacks)
		}
	}
	t.Logf("%s build: %d NACK(s), e.g. %s (%s, revision %d)", build, len(g.Nacks), g.Nacks[0].Key, g.Nacks[0].Reason, *g.Nacks[0].Revision)
}
