package e2e

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"gateway/test/e2e/harness"
)

// The conformance cases through the deployed binary: each case's event is sent through
// the emulator to a bootstrap whose baked policy is the case's and whose wall clock reads
// the case's `now`. The clock is set from outside with libfaketime (LD_PRELOAD, wall clock
// only), so the binary under test is the release binary, unchanged. Cases sharing a policy,
// API id and `now` share one function.

type confCase struct {
	File   string
	Name   string          `json:"name"`
	Now    int64           `json:"now"`
	APIID  string          `json:"api_id"`
	Policy json.RawMessage `json:"policy"`
	PFile  string          `json:"policy_file"`
	Event  map[string]any  `json:"event"`
	Expect struct {
		Effect    string `json:"effect"`
		Reason    string `json:"reason"`
		Principal string `json:"principal"`
	} `json:"expect"`
	policyBytes []byte
}

// conformanceDirs: the project's cases and the shared examples beside the repository
// (E2E_CONFORMANCE_DIRS, colon-separated, replaces both).
func conformanceDirs() []string {
	if dirs := os.Getenv("E2E_CONFORMANCE_DIRS"); dirs != "" {
		return strings.Split(dirs, ":")
	}
	dirs := []string{filepath.Join(paths.Root, "conformance")}
	shared := filepath.Join(paths.Root, "..", "shared", "conformance", "examples")
	if st, err := os.Stat(shared); err == nil && st.IsDir() {
		dirs = append(dirs, shared)
	}
	return dirs
}

func loadCases(t *testing.T, dir string) []*confCase {
	t.Helper()
	var out []*confCase
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var probe map[string]json.RawMessage
		if json.Unmarshal(data, &probe) != nil || probe["expect"] == nil {
			return nil // a policy file, not a case
		}
		c := &confCase{File: path}
		if err := json.Unmarshal(data, c); err != nil {
			return fmt.Errorf("%s: %v", path, err)
		}
		switch {
		case len(c.Policy) > 0 && c.PFile == "":
			c.policyBytes = c.Policy
		case len(c.Policy) == 0 && c.PFile != "":
			if c.policyBytes, err = os.ReadFile(filepath.Join(filepath.Dir(path), c.PFile)); err != nil {
				return fmt.Errorf("%s: %v", path, err)
			}
		default:
			return fmt.Errorf("%s: give exactly one of policy and policy_file", path)
		}
		out = append(out, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestConformanceThroughDeployedBinary(t *testing.T) {
	if paths.FakeTimeLib == "" {
		t.Fatal("libfaketime not found: `make tools` (scripts/tools-emulator.sh) installs the Debian package libfaketime, or set FAKETIME_LIB")
	}
	total, groups := 0, 0
	for _, dir := range conformanceDirs() {
		cases := loadCases(t, dir)
		if len(cases) == 0 {
			t.Fatalf("%s: no cases", dir)
		}
		byGroup := map[string][]*confCase{}
		for _, c := range cases {
			sum := sha256.Sum256(c.policyBytes)
			k := fmt.Sprintf("%x/%s/%d", sum[:8], c.APIID, c.Now)
			byGroup[k] = append(byGroup[k], c)
		}
		names := make([]string, 0, len(byGroup))
		for k := range byGroup {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, k := range names {
			group := byGroup[k]
			groups++
			total += len(group)
			runGroup(t, filepath.Base(filepath.Dir(group[0].File)), group)
		}
	}
	t.Logf("conformance through bootstrap under the emulator: %d cases in %d function(s)", total, groups)
}

func runGroup(t *testing.T, dir string, group []*confCase) {
	first := group[0]
	policyFile := filepath.Join(t.TempDir(), "policy.json")
	if err := os.WriteFile(policyFile, first.policyBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(first.Now, 0)
	f := startFunction(t, harness.FunctionConfig{
		Env: map[string]string{
			"AUTHZ_API_ID": first.APIID, "AUTHZ_POLICY_FILE": policyFile, "AUTHZ_LOG_LEVEL": "info",
		},
		FakeTime: &now,
	})
	for _, c := range group {
		t.Run(dir+"/"+strings.TrimSuffix(filepath.Base(c.File), ".json"), func(t *testing.T) {
			inv, err := f.Invoke(c.Event)
			if err != nil {
				t.Fatal(err)
			}
			v, err := harness.ReadVerdict(inv.Body, harness.EventArn(c.Event))
			if err != nil {
				t.Fatal(err)
			}
			effect := map[bool]string{true: "allow", false: "deny"}[v.Allowed]
			if effect != c.Expect.Effect || v.Reason != c.Expect.Reason {
				t.Errorf("%s: got %s/%s, want %s/%s\n%s", c.Name, effect, v.Reason, c.Expect.Effect, c.Expect.Reason, inv.Body)
			}
			if c.Expect.Principal != "" && v.Principal != c.Expect.Principal {
				t.Errorf("%s: principal %q, want %q", c.Name, v.Principal, c.Expect.Principal)
			}
		})
	}
	// The function's metric records carry its clock: proof that it decided at `now`.
	logs, _ := f.WaitLogs(func(logs string) bool { return len(metricTimestamps(logs)) >= len(group) }, 10*time.Second)
	stamps := metricTimestamps(logs)
	if len(stamps) != len(group) {
		t.Fatalf("%d metric records for %d cases", len(stamps), len(group))
	}
	for _, ms := range stamps {
		if ms/1000 != first.Now {
			t.Fatalf("the function's clock read %d ms, want the cases' now %d s", ms, first.Now)
		}
	}
}

// metricTimestamps are the _aws.Timestamp values of the embedded-metric-format records.
func metricTimestamps(logs string) []int64 {
	var out []int64
	for _, line := range strings.Split(logs, "\n") {
		var rec struct {
			AWS *struct {
				Timestamp int64 `json:"Timestamp"`
			} `json:"_aws"`
		}
		if strings.HasPrefix(line, "{") && json.Unmarshal([]byte(line), &rec) == nil && rec.AWS != nil {
			out = append(out, rec.AWS.Timestamp)
		}
	}
	return out
}
