package harness

import (
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Gateway is an `authz gateway` process (the local API Gateway stand-in, or with --echo
// the sample upstream).
type Gateway struct {
	// URL is http://host:port it listens on.
	URL string

	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

var listening = regexp.MustCompile(`listening on (http://[0-9.:\[\]a-z]+)`)

// StartGateway runs `authz gateway ARGS... --listen 127.0.0.1:0` and waits (at most 10 s)
// for the line naming the address it listens on.
func (p Paths) StartGateway(args ...string) (*Gateway, error) {
	cmd := exec.Command(p.Authz, append(append([]string{"gateway"}, args...), "--listen", "127.0.0.1:0")...)
	cmd.Env = os.Environ()
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	logs := &lockedBuffer{}
	found := make(chan string, 1)
	cmd.Stderr = logs
	cmd.Stdout = &addressWatcher{logs: logs, found: found}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	g := &Gateway{cmd: cmd, logs: logs, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(g.exited)
	}()
	select {
	case url := <-found:
		g.URL = url
		return g, nil
	case <-g.exited:
		return nil, fmt.Errorf("authz gateway exited: %s", logs.String())
	case <-time.After(10 * time.Second):
		g.Stop()
		return nil, fmt.Errorf("authz gateway did not report its address within 10s: %s", logs.String())
	}
}

// addressWatcher keeps the output and reports the first "listening on" address.
type addressWatcher struct {
	logs    *lockedBuffer
	found   chan string
	pending string
	sent    bool
}

func (w *addressWatcher) Write(p []byte) (int, error) {
	_, _ = w.logs.Write(p)
	if w.sent {
		return len(p), nil
	}
	w.pending += string(p)
	for {
		line, rest, ok := strings.Cut(w.pending, "\n")
		if !ok {
			break
		}
		w.pending = rest
		if m := listening.FindStringSubmatch(line); m != nil {
			w.found <- m[1]
			w.sent = true
			w.pending = ""
			break
		}
	}
	return len(p), nil
}

// Logs is what the process printed so far (one line per request on stderr).
func (g *Gateway) Logs() string { return strings.TrimSpace(g.logs.String()) }

// Stop sends SIGTERM and waits (SIGKILL after 3 s).
func (g *Gateway) Stop() {
	if g.cmd.Process == nil {
		return
	}
	_ = g.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-g.exited:
	case <-time.After(3 * time.Second):
		_ = g.cmd.Process.Kill()
		<-g.exited
	}
}
