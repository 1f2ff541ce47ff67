package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"gateway/test/e2e/harness"
)

// Inproc is one process of the in-process fleet driver (authorizer/examples/fleet_envs.rs):
// many authorizer environments, each with its own policy consumer, status reporter and
// environment id, behind one HTTP listener.
type Inproc struct {
	cmd    *exec.Cmd
	exited chan struct{}
	// Functions are the environments' invoke endpoints, one per environment.
	Functions []*harness.Function
}

// ProcessName is the name `ss` shows for the driver's connections.
func (d *Inproc) ProcessName() string { return filepath.Base(d.cmd.Path) }

// StartInproc starts binary with n environments (configured by this process's AUTHZ_* and
// AWS_* variables) and waits, at most timeout, for it to say where it listens.
func StartInproc(binary string, n int, timeout time.Duration) (*Inproc, error) {
	cmd := exec.Command(binary, strconv.Itoa(n))
	cmd.Env = os.Environ()
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", binary, err)
	}
	d := &Inproc{cmd: cmd, exited: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		first <- line
		_, _ = io.Copy(io.Discard, r) // decision lines, when the log level lets them out
	}()
	go func() {
		_ = cmd.Wait()
		close(d.exited)
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(timeout):
		d.Stop()
		return nil, fmt.Errorf("%s did not start %d environments within %s", binary, n, timeout)
	}
	addr, ok := strings.CutPrefix(strings.TrimSpace(line), "listening on ")
	if !ok {
		d.Stop()
		return nil, fmt.Errorf("%s: expected \"listening on ADDR\", got %q", binary, line)
	}
	for i := 0; i < n; i++ {
		d.Functions = append(d.Functions,
			harness.Remote(fmt.Sprintf("http://%s/%d/2015-03-31/functions/function/invocations", addr, i)))
	}
	return d, nil
}

// Stop ends the driver (SIGTERM, then SIGKILL after 5 s).
func (d *Inproc) Stop() {
	for _, f := range d.Functions {
		f.Stop()
	}
	if d.cmd.Process == nil {
		return
	}
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
	case <-time.After(5 * time.Second):
		_ = d.cmd.Process.Kill()
		<-d.exited
	}
}
