// Package harness runs the authorizer as it is deployed, on one machine: the real
// `bootstrap` under the AWS Lambda Runtime Interface Emulator, the `authz` CLI, and a real
// Kafka broker started by scripts/kafka.sh. The end-to-end tests in test/e2e use it, and
// so can measurements (cold start, throughput, propagation): everything here returns
// timings and never asserts.
package harness

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// Paths are the binaries and folders the harness needs.
type Paths struct {
	Root        string // the repository
	Authz       string // the authz CLI
	Bootstrap   string // the Lambda function binary
	RIE         string // aws-lambda-rie
	FakeTimeLib string // libfaketime (LD_PRELOAD), empty when not installed
}

// RepoRoot walks up from the working directory to the folder holding scripts/kafka.sh.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "kafka.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (with scripts/kafka.sh) not found above the working directory")
		}
		dir = parent
	}
}

func cacheDir() string {
	if d := os.Getenv("CACHE_DIR"); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = "/root"
	}
	return filepath.Join(home, ".cache", "team-gateway")
}

func executable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// Locate finds the binaries the way the Makefile builds and installs them:
// $CARGO_TARGET_DIR/release/{authz,bootstrap} (E2E_AUTHZ / E2E_BOOTSTRAP override them)
// and aws-lambda-rie in $TOOLS_BIN or on PATH, libfaketime in the system's library folders.
// When either is missing it runs scripts/tools-emulator.sh, which installs them. The Rust binaries are never
// built here: `make go-test` builds them first.
func Locate() (Paths, error) {
	root, err := RepoRoot()
	if err != nil {
		return Paths{}, err
	}
	target := os.Getenv("CARGO_TARGET_DIR")
	if target == "" {
		target = filepath.Join(cacheDir(), "cargo-target")
	}
	p := Paths{
		Root:      root,
		Authz:     envOr("E2E_AUTHZ", filepath.Join(target, "release", "authz")),
		Bootstrap: envOr("E2E_BOOTSTRAP", filepath.Join(target, "release", "bootstrap")),
	}
	for _, bin := range []string{p.Authz, p.Bootstrap} {
		if !executable(bin) {
			return p, fmt.Errorf("%s is missing: run `make build-native` first (or set E2E_AUTHZ/E2E_BOOTSTRAP)", bin)
		}
	}
	toolsBin := envOr("TOOLS_BIN", filepath.Join(cacheDir(), "bin"))
	find := func() string {
		if rie := filepath.Join(toolsBin, "aws-lambda-rie"); executable(rie) {
			return rie
		}
		if rie, err := exec.LookPath("aws-lambda-rie"); err == nil {
			return rie
		}
		return ""
	}
	p.RIE, p.FakeTimeLib = find(), findFakeTime()
	if p.RIE == "" || p.FakeTimeLib == "" {
		// Installs whichever is missing; quick when both are there.
		cmd := exec.Command("bash", filepath.Join(root, "scripts", "tools-emulator.sh"))
		cmd.Env = append(os.Environ(), "TOOLS_BIN="+toolsBin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return p, fmt.Errorf("scripts/tools-emulator.sh: %v\n%s", err, out)
		}
		p.RIE, p.FakeTimeLib = find(), findFakeTime()
		if p.RIE == "" {
			return p, fmt.Errorf("aws-lambda-rie not found in %s after scripts/tools-emulator.sh", toolsBin)
		}
	}
	return p, nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

// findFakeTime finds libfaketime (Debian package libfaketime), or FAKETIME_LIB.
func findFakeTime() string {
	if lib := os.Getenv("FAKETIME_LIB"); lib != "" {
		return lib
	}
	for _, pattern := range []string{
		"/usr/lib/*/faketime/libfaketimeMT.so.1",
		"/usr/lib/faketime/libfaketimeMT.so.1",
		"/usr/local/lib/faketime/libfaketimeMT.so.1",
	} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return m[0]
		}
	}
	return ""
}

// Run runs a command with a deadline and returns its stdout; stderr is part of the error.
func Run(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	// A killed command must not leave its children holding the pipes open.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%s %s: %v\n%s%s", filepath.Base(name),
			strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

// Authz runs the authz CLI (bounded to two minutes).
func (p Paths) AuthzCLI(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return Run(ctx, nil, p.Authz, args...)
}

// Kafka is a broker run by scripts/kafka.sh on a port of its own.
type Kafka struct {
	Root      string
	Bootstrap string // host:port
}

func (k Kafka) script(cmd string, timeout time.Duration) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	_, err := Run(ctx, []string{"KAFKA_BOOTSTRAP=" + k.Bootstrap}, "bash",
		filepath.Join(k.Root, "scripts", "kafka.sh"), cmd)
	return time.Since(start), err
}

// Up formats (first time) and starts the broker and waits until it answers.
func (k Kafka) Up() (time.Duration, error) { return k.script("up", 5*time.Minute) }

// Stop stops the broker and keeps its data (an outage).
func (k Kafka) Stop() (time.Duration, error) { return k.script("stop", 2*time.Minute) }

// Start starts a stopped broker on its kept data.
func (k Kafka) Start() (time.Duration, error) { return k.script("start", 3*time.Minute) }

// Down stops the broker and deletes its data.
func (k Kafka) Down() (time.Duration, error) { return k.script("down", 2*time.Minute) }

// AlterTopic sets topic configs (name=value, ...) with Kafka's own tool.
func (k Kafka) AlterTopic(topic string, configs ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err := Run(ctx, []string{"KAFKA_BOOTSTRAP=" + k.Bootstrap}, "bash",
		filepath.Join(k.Root, "scripts", "kafka.sh"), "tool", "org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", k.Bootstrap,
		"--alter", "--entity-type", "topics", "--entity-name", topic, "--add-config", strings.Join(configs, ","))
	return err
}

// CreateTopic creates a policy topic with the recommended settings (one replica).
func (p Paths) CreateTopic(brokers, topic string) error {
	_, err := p.AuthzCLI("topic", "create", "--brokers", brokers, "--topic", topic,
		"--replication-factor", "1")
	return err
}

// Publish makes the topic describe the policy file (`authz publish`); returns its output.
func (p Paths) Publish(brokers, topic, policyFile string) (string, error) {
	return p.AuthzCLI("publish", "--brokers", brokers, "--topic", topic, policyFile)
}
