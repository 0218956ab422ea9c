//go:build linux

package main

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
)

// build compiles the command into the test's temporary directory.
func build(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "kfakecmd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// started is the command running, its address read from the first line
// of its output.
type started struct {
	cmd    *exec.Cmd
	addr   string
	stderr *syncbuf.Buffer
	// exited is closed once the command exited, with err its exit.
	exited chan struct{}
	err    error
}

func start(t *testing.T, cmd *exec.Cmd) *started {
	t.Helper()
	s := &started{cmd: cmd, stderr: &syncbuf.Buffer{}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		select {
		case <-s.exited:
		default:
			_ = cmd.Process.Kill()
			<-s.exited
		}
	})
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
		s.err = cmd.Wait()
		close(s.exited)
	}()
	select {
	case s.addr = <-line:
	case <-time.After(30 * time.Second):
		t.Fatalf("no address within 30s; stderr: %s", s.stderr)
	}
	if !strings.HasPrefix(s.addr, "127.0.0.1:") {
		t.Fatalf("first line %q, want the address; stderr: %s", s.addr, s.stderr)
	}
	return s
}

// waitExit is the command's exit within 10s.
func (s *started) waitExit(t *testing.T) error {
	t.Helper()
	select {
	case <-s.exited:
		return s.err
	case <-time.After(10 * time.Second):
		t.Fatalf("still running 10s later; stderr: %s", s.stderr)
		return nil
	}
}

// answers checks that a Kafka client gets an answer from the broker.
func answers(t *testing.T, addr string) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addr))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := kadm.NewClient(cl).ListBrokers(ctx); err != nil {
		t.Fatalf("the broker at %s does not answer: %v", addr, err)
	}
}

// By hand, standard input may be closed from the start (the command run in
// the background, or by a script): it runs on, saying how to use it,
// until Ctrl-C, and then exits 0.
func TestByHand(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(build(t))
	cmd.Stdin = nil // /dev/null: closed at once
	s := start(t, cmd)
	answers(t, s.addr)
	select {
	case <-s.exited:
		t.Fatalf("exited with its standard input closed: %v; stderr: %s", s.err, s.stderr)
	case <-time.After(300 * time.Millisecond):
	}
	for _, want := range []string{
		"a Kafka broker on " + s.addr + ", in memory",
		"HIREBRIDGE_SINK=kafka HIREBRIDGE_KAFKA_BROKERS=" + s.addr + " go run ./cmd/hirebridge\n",
	} {
		if !strings.Contains(s.stderr.String(), want) {
			t.Errorf("stderr %q does not say %q", s.stderr, want)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(t); err != nil {
		t.Errorf("after SIGINT: %v, want exit 0; stderr: %s", err, s.stderr)
	}
}

// Started by a test (-exit-on-stdin-close), or with a pipe for standard
// input (`sleep 86400 | kfakecmd`, as .ci/loadtest/run.sh does), it ends
// when its standard input closes, silently but for its address.
func TestExitOnStdinClose(t *testing.T) {
	t.Parallel()
	bin := build(t)
	for name, args := range map[string][]string{
		"flag": {"-exit-on-stdin-close", "0"},
		"pipe": nil,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(bin, args...)
			stdin, err := cmd.StdinPipe()
			if err != nil {
				t.Fatal(err)
			}
			s := start(t, cmd)
			answers(t, s.addr)
			if err := stdin.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.waitExit(t); err != nil {
				t.Errorf("after its standard input closed: %v, want exit 0; stderr: %s", err, s.stderr)
			}
			if s.stderr.String() != "" {
				t.Errorf("stderr %q, want nothing", s.stderr)
			}
		})
	}
}

// A port taken is one line.
func TestPortTaken(t *testing.T) {
	t.Parallel()
	bin := build(t)
	cmd := exec.Command(bin)
	s := start(t, cmd)
	port := strings.TrimPrefix(s.addr, "127.0.0.1:")
	out, err := exec.Command(bin, port).CombinedOutput()
	if err == nil || !strings.HasPrefix(string(out), "kfakecmd: ") || strings.Count(string(out), "\n") != 1 {
		t.Errorf("on a taken port: %v, %q; want an exit with one line", err, out)
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := s.waitExit(t); err != nil {
		t.Errorf("after SIGTERM: %v", err)
	}
}

// With -brokers 3, a cluster of three brokers: the first line lists every
// address, comma-separated, each a broker of the one cluster.
func TestSeveralBrokers(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(build(t), "-exit-on-stdin-close", "-brokers", "3", "0")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, cmd)
	addrs := strings.Split(s.addr, ",")
	if len(addrs) != 3 {
		t.Fatalf("first line %q, want three addresses", s.addr)
	}
	for _, addr := range addrs {
		answers(t, addr)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs[0]))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	brokers, err := kadm.NewClient(cl).ListBrokers(ctx)
	if err != nil || len(brokers) != 3 {
		t.Errorf("the cluster lists brokers %v (%v), want three", brokers, err)
	}
	if err := stdin.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.waitExit(t); err != nil {
		t.Errorf("after its standard input closed: %v, want exit 0; stderr: %s", err, s.stderr)
	}
}
