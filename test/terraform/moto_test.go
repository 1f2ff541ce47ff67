package terraform

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

const region = "eu-west-1"

// motoURL is the endpoint of the moto server every test in this package uses: MOTO_ENDPOINT
// when set (a server someone else runs), otherwise one TestMain starts on a free port.
var motoURL string

func TestMain(m *testing.M) {
	os.Exit(runWithMoto(m))
}

func runWithMoto(m *testing.M) int {
	if ep := os.Getenv("MOTO_ENDPOINT"); ep != "" {
		motoURL = strings.TrimRight(ep, "/")
		return m.Run()
	}
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		fmt.Fprintln(os.Stderr, "moto_server not found: run scripts/go-test.sh (it installs moto[server]) or set MOTO_ENDPOINT")
		return 1
	}
	port, err := freePort()
	if err != nil {
		fmt.Fprintln(os.Stderr, "no free port:", err)
		return 1
	}
	logFile, err := os.CreateTemp("", "moto-*.log")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.Remove(logFile.Name())
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "starting moto_server:", err)
		return 1
	}
	defer func() {
		// moto_server may fork workers: stop its whole process group.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_, _ = cmd.Process.Wait()
	}()
	motoURL = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitForMoto(motoURL, 30*time.Second); err != nil {
		out, _ := os.ReadFile(logFile.Name())
		fmt.Fprintf(os.Stderr, "moto_server did not come up: %v\n%s\n", err, out)
		return 1
	}
	return m.Run()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func waitForMoto(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		resp, err := http.Get(url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// awsConfig is an SDK configuration that talks to the moto server.
func awsConfig(t *testing.T) aws.Config {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion(region),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")),
		config.WithBaseEndpoint(motoURL),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// providerOverride points the example's aws provider at moto. Written as an override file
// into the example's temporary copy, so the example itself stays what a team would apply.
func providerOverride() string {
	services := []string{"acm", "apigateway", "apigatewayv2", "cloudwatch", "cloudwatchlogs", "ec2", "iam", "kafka", "lambda", "route53", "s3", "sts"}
	var b strings.Builder
	b.WriteString("provider \"aws\" {\n")
	fmt.Fprintf(&b, "  region                      = %q\n", region)
	b.WriteString("  access_key                  = \"testing\"\n")
	b.WriteString("  secret_key                  = \"testing\"\n")
	b.WriteString("  skip_credentials_validation = true\n")
	b.WriteString("  skip_metadata_api_check     = true\n")
	b.WriteString("  skip_region_validation      = true\n")
	b.WriteString("  s3_use_path_style           = true\n")
	b.WriteString("  endpoints {\n")
	for _, s := range services {
		fmt.Fprintf(&b, "    %s = %q\n", s, motoURL)
	}
	b.WriteString("  }\n}\n")
	return b.String()
}

// writeZip writes a zip with one file (name, data, mode) to path.
func writeZip(t *testing.T, path, name string, data []byte, mode os.FileMode) {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	h := &zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)}
	h.SetMode(mode)
	f, err := w.CreateHeader(h)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// artifacts writes a stand-in authorizer zip and the policy layer zip built from the
// example's baked policy, and returns their paths.
func artifacts(t *testing.T, exampleDir string) (bootstrapZip, policyZip string) {
	t.Helper()
	dir := t.TempDir()
	bootstrapZip = filepath.Join(dir, "bootstrap-arm64.zip")
	writeZip(t, bootstrapZip, "bootstrap", []byte("#!/bin/sh\n# stand-in for the authorizer binary\nexit 1\n"), 0o755)
	policy, err := os.ReadFile(filepath.Join(exampleDir, "policy", "orders-baked.json"))
	if err != nil {
		t.Fatal(err)
	}
	policyZip = filepath.Join(dir, "policy-layer.zip")
	writeZip(t, policyZip, "gateway-policy.json", policy, 0o644)
	return bootstrapZip, policyZip
}
