package e2e

import (
	"testing"

	"gateway/test/e2e/harness"
)

// node, while set, makes startFunction run the TypeScript build instead of the Rust
// bootstrap. Only TestNodejsHandler sets it; the tests of this package run one at a time.
var node *harness.NodeHandler

// TestNodejsHandler runs the suite's cases again against the TypeScript build (the bundled
// handler, Node 22, under the same emulator, broker and assertions), so both builds are
// proven by the same tests. E2E_SKIP_NODEJS=1 skips it (a Rust-only run).
func TestNodejsHandler(t *testing.T) {
	if envOr("E2E_SKIP_NODEJS", "") == "1" {
		t.Skip("E2E_SKIP_NODEJS=1")
	}
	n, err := harness.LocateNode(paths.Root)
	if err != nil {
		t.Fatal(err)
	}
	node = &n
	t.Cleanup(func() { node = nil })
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"HTTPAPIv2Decisions", TestHTTPAPIv2Decisions},
		{"RESTTokenAuthorizer", TestRESTTokenAuthorizer},
		{"RESTRequestAuthorizer", TestRESTRequestAuthorizer},
		{"ConformanceThroughDeployedBinary", TestConformanceThroughDeployedBinary},
		{"GatewayFront", TestGatewayFront},
		{"PolicyChangeTakesEffect", TestPolicyChangeTakesEffect},
		{"FreezeThaw", TestFreezeThaw},
		{"BrokerOutage", TestBrokerOutage},
		{"FleetStatus", TestFleetStatus},
	} {
		t.Run(c.name, c.run)
	}
}
