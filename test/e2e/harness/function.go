package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// FunctionConfig describes one authorizer function: the environment Lambda would give it.
type FunctionConfig struct {
	// Env is the function's configuration (AUTHZ_API_ID, AUTHZ_POLICY_FILE, ...). AUTHZ_*
	// variables of the calling environment are not passed on.
	Env map[string]string
	// FakeTime, when set, runs the bootstrap with its wall clock frozen at this instant
	// (libfaketime via LD_PRELOAD; monotonic clocks stay real). The binary is unchanged.
	FakeTime *time.Time
	// Logs receives the emulator's and the function's output as it comes, besides the
	// copy kept for Function.Logs (e.g. a file, for a benchmark run).
	Logs io.Writer
	// ReadyPoll is the interval between two connection attempts while waiting for the
	// emulator to listen (default 10 ms); a cold-start measurement wants it finer.
	ReadyPoll time.Duration
	// Command, when set, is what the emulator runs instead of the Rust bootstrap (the
	// TypeScript build: NodeHandler.Command).
	Command []string
}

// Function is one execution environment: aws-lambda-rie running the bootstrap. The
// emulator starts the bootstrap on the first invoke (so the first Invoke's latency is the
// cold start), runs one invoke at a time, and never freezes the process between invokes.
type Function struct {
	InvokeURL string
	// Started is when the emulator process was started.
	Started time.Time
	// Listening is when the emulator first accepted a connection on its invoke address.
	Listening time.Time

	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
	client *http.Client
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// written is closed and replaced on every Write, so a reader can wait for new output.
	written chan struct{}
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written != nil {
		close(b.written)
		b.written = nil
	}
	return b.buf.Write(p)
}

// next returns the logs so far and a channel closed by the next Write.
func (b *lockedBuffer) next() (string, <-chan struct{}) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.written == nil {
		b.written = make(chan struct{})
	}
	return b.buf.String(), b.written
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FreePort asks the kernel for a free loopback port.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// StartFunction starts the emulator on free loopback ports and waits until it accepts
// connections (bounded to 10 s).
func (p Paths) StartFunction(cfg FunctionConfig) (*Function, error) {
	invokePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	runtimePort, err := FreePort()
	if err != nil {
		return nil, err
	}
	for invokePort == runtimePort {
		if runtimePort, err = FreePort(); err != nil {
			return nil, err
		}
	}
	invokeAddr := fmt.Sprintf("127.0.0.1:%d", invokePort)
	command := []string{p.Bootstrap}
	if len(cfg.Command) > 0 {
		command = cfg.Command
	}
	cmd := exec.Command(p.RIE, append([]string{"--log-level", "error",
		"--runtime-interface-emulator-address", invokeAddr,
		"--runtime-api-address", fmt.Sprintf("127.0.0.1:%d", runtimePort)},
		command...)...)
	cmd.Dir = filepath.Dir(command[0])
	// The emulator passes its whole environment on to the function.
	env := make([]string, 0, len(os.Environ())+len(cfg.Env)+4)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "AUTHZ_") || strings.HasPrefix(name, "FAKETIME") ||
			name == "LD_PRELOAD" || name == "AWS_LAMBDA_RUNTIME_API" {
			continue
		}
		env = append(env, kv)
	}
	for k, v := range cfg.Env {
		env = append(env, k+"="+v)
	}
	if cfg.FakeTime != nil {
		if p.FakeTimeLib == "" {
			return nil, errors.New("libfaketime is not installed (Debian package libfaketime; scripts/tools-emulator.sh installs it)")
		}
		// aws-lambda-rie is a static Go binary, so LD_PRELOAD only takes hold in the
		// bootstrap it starts. An absolute date without '@' is a frozen clock.
		env = append(env,
			"LD_PRELOAD="+p.FakeTimeLib,
			"FAKETIME="+cfg.FakeTime.UTC().Format("2006-01-02 15:04:05"),
			"FAKETIME_DONT_FAKE_MONOTONIC=1",
			"FAKETIME_NO_CACHE=1",
			"TZ=UTC")
	}
	cmd.Env = env
	logs := &lockedBuffer{}
	var out io.Writer = logs
	if cfg.Logs != nil {
		out = io.MultiWriter(logs, cfg.Logs)
	}
	cmd.Stdout, cmd.Stderr = out, out
	// If the test process dies (a timeout, a kill), the emulator goes too, and the
	// bootstrap follows it (it exits when its Runtime API disappears).
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	f := &Function{
		InvokeURL: "http://" + invokeAddr + "/2015-03-31/functions/function/invocations",
		cmd:       cmd,
		logs:      logs,
		exited:    make(chan struct{}),
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true},
		},
	}
	f.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", p.RIE, err)
	}
	go func() {
		_ = cmd.Wait()
		close(f.exited)
	}()
	readyPoll := cfg.ReadyPoll
	if readyPoll <= 0 {
		readyPoll = 10 * time.Millisecond
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", invokeAddr, 200*time.Millisecond)
		if err == nil {
			f.Listening = time.Now()
			conn.Close()
			return f, nil
		}
		select {
		case <-f.exited:
			return nil, fmt.Errorf("aws-lambda-rie exited during start-up:\n%s", logs.String())
		case <-time.After(readyPoll):
		}
		if time.Now().After(deadline) {
			f.Stop()
			return nil, fmt.Errorf("aws-lambda-rie did not listen on %s within 10s:\n%s", invokeAddr, logs.String())
		}
	}
}

// Invocation is one invoke's answer.
type Invocation struct {
	Status  int
	Body    []byte
	Latency time.Duration // request sent → response read, through the emulator
}

// Invoke sends one event through the emulator's invoke API.
func (f *Function) Invoke(event any) (Invocation, error) {
	payload, err := json.Marshal(event)
	if err != nil {
		return Invocation{}, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.InvokeURL, bytes.NewReader(payload))
	if err != nil {
		return Invocation{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := f.client.Do(req)
	if err != nil {
		return Invocation{}, fmt.Errorf("invoke: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20))
	inv := Invocation{Status: resp.StatusCode, Body: body, Latency: time.Since(start)}
	if err != nil {
		return inv, fmt.Errorf("invoke: reading the response: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return inv, fmt.Errorf("invoke answered %d: %s", resp.StatusCode, body)
	}
	// A function error comes back as 200 with errorType/errorMessage.
	var fnErr struct {
		ErrorType    string `json:"errorType"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorType != "" {
		return inv, fmt.Errorf("function error %s: %s", fnErr.ErrorType, fnErr.ErrorMessage)
	}
	return inv, nil
}

// Logs is everything the emulator and the function printed so far.
func (f *Function) Logs() string { return f.logs.String() }

// WaitLogs waits until the logs satisfy done or the timeout passes, and returns them. The
// emulator relays the function's output on its own, so a line printed during an invocation
// can reach the logs after the invocation's response.
func (f *Function) WaitLogs(done func(logs string) bool, timeout time.Duration) (string, bool) {
	deadline := time.After(timeout)
	for {
		logs, written := f.logs.next()
		if done(logs) {
			return logs, true
		}
		select {
		case <-written:
		case <-deadline:
			return f.logs.String(), false
		}
	}
}

// LogLines are the function's JSON log lines whose "msg" equals msg.
func (f *Function) LogLines(msg string) []map[string]any {
	var out []map[string]any
	for _, line := range strings.Split(f.Logs(), "\n") {
		if !strings.HasPrefix(line, "{") {
			continue
		}
		var v map[string]any
		if json.Unmarshal([]byte(line), &v) == nil && v["msg"] == msg {
			out = append(out, v)
		}
	}
	return out
}

// BootstrapPID is the pid of the bootstrap the emulator started (0 before the first invoke).
func (f *Function) BootstrapPID() int {
	if f.cmd == nil || f.cmd.Process == nil {
		return 0
	}
	parent := strconv.Itoa(f.cmd.Process.Pid)
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may hold spaces, so split after the last ')'.
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		fields := strings.Fields(s[i+1:])
		if len(fields) > 1 && fields[1] == parent {
			return pid
		}
	}
	return 0
}

// PeakRSSKiB is the bootstrap's peak resident set (VmHWM), in KiB.
func (f *Function) PeakRSSKiB() (int, error) {
	pid := f.BootstrapPID()
	if pid == 0 {
		return 0, errors.New("the bootstrap is not running")
	}
	return ProcessPeakRSSKiB(pid)
}

// EmulatorPeakRSSKiB is the emulator's own peak resident set (VmHWM), in KiB.
func (f *Function) EmulatorPeakRSSKiB() (int, error) {
	if f.cmd.Process == nil {
		return 0, errors.New("the emulator is not running")
	}
	return ProcessPeakRSSKiB(f.cmd.Process.Pid)
}

// ProcessPeakRSSKiB is the peak resident set (VmHWM) of any process, in KiB.
func ProcessPeakRSSKiB(pid int) (int, error) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, errors.New("VmHWM not in /proc status")
}

// Freeze stops the bootstrap's process (SIGSTOP), as Lambda freezes an environment between
// invokes: its background threads stop too. Invoke only after Thaw.
func (f *Function) Freeze() error {
	pid := f.BootstrapPID()
	if pid == 0 {
		return errors.New("the bootstrap is not running (freeze after the first invoke)")
	}
	return syscall.Kill(pid, syscall.SIGSTOP)
}

// Thaw resumes a frozen bootstrap (SIGCONT).
func (f *Function) Thaw() error {
	pid := f.BootstrapPID()
	if pid == 0 {
		return errors.New("the bootstrap is not running")
	}
	return syscall.Kill(pid, syscall.SIGCONT)
}

// Remote is a Function for an invoke endpoint that another process serves (the fleet
// bench's in-process environments): Invoke works; the process and log methods do not apply,
// and Stop only closes its connections.
func Remote(invokeURL string) *Function {
	return &Function{
		InvokeURL: invokeURL,
		logs:      &lockedBuffer{},
		client: &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true},
		},
	}
}

// Stop ends the emulator (SIGTERM, then SIGKILL after 3 s) and the bootstrap with it.
func (f *Function) Stop() {
	if f.cmd == nil || f.cmd.Process == nil {
		f.client.CloseIdleConnections()
		return
	}
	child := f.BootstrapPID()
	if child != 0 {
		_ = syscall.Kill(child, syscall.SIGCONT) // a frozen bootstrap could not leave
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(3 * time.Second):
		_ = f.cmd.Process.Kill()
		<-f.exited
	}
	// The bootstrap leaves when its Runtime API goes away; make sure of it.
	if child != 0 {
		deadline := time.Now().Add(2 * time.Second)
		for syscall.Kill(child, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if syscall.Kill(child, 0) == nil {
			_ = syscall.Kill(child, syscall.SIGKILL)
		}
	}
	f.client.CloseIdleConnections()
}
