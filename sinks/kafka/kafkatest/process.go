//go:build linux

package kafkatest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
)

// kfakecmdPackage is the helper program StartProcess builds.
const kfakecmdPackage = "github.com/hirebridge/hirebridge/sinks/kafka/kafkatest/kfakecmd"

// Process is a kfake broker in a child process (kfakecmd), with its store
// in memory, or a cluster of them (Brokers). Pause stops the process
// (SIGSTOP): its connections stay open and the kernel still accepts
// connections and buffers requests, but nothing is answered, as a broker
// in a long GC pause or a frozen VM (every broker of the process at once);
// when Resume continues it (SIGCONT) it handles every request it received
// meanwhile, including those whose client gave up.
type Process struct {
	addrs  []string
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	stderr *syncbuf.Buffer
	waited chan struct{}

	// ClientOpts are added to the franz-go clients of Records and
	// Partitions: with SASLPlain, the superuser's credentials.
	ClientOpts []kgo.Opt
}

// ProcessOpt configures the broker StartProcess runs.
type ProcessOpt struct {
	args       []string
	clientOpts []kgo.Opt
}

// Brokers runs a cluster of n brokers in the one process.
func Brokers(n int) ProcessOpt {
	return ProcessOpt{args: []string{"-brokers", strconv.Itoa(n)}}
}

// SASLPlain turns SASL (PLAIN) and ACLs on: superuser (with password) may
// do anything, each of users ("name:password") only what ACLs grant it; the
// test creates those through the admin API as the superuser, as an
// operator would (they live in the broker's memory, so a pause keeps
// them). The Process's ClientOpts authenticate as the superuser.
func SASLPlain(superuser, password string, users ...string) ProcessOpt {
	o := ProcessOpt{
		args:       []string{"-superuser", superuser + ":" + password},
		clientOpts: []kgo.Opt{kgo.SASL(plain.Auth{User: superuser, Pass: password}.AsMechanism())},
	}
	for _, u := range users {
		o.args = append(o.args, "-user", u)
	}
	return o
}

// StartProcess builds kfakecmd into the test's temporary directory with the
// go command running the test, starts it on a free port, and ends it when
// the test ends.
func StartProcess(t testing.TB, opts ...ProcessOpt) *Process {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("building kfakecmd needs the go command (go test puts it on PATH): %v", err)
	}
	bin := filepath.Join(t.TempDir(), "kfakecmd")
	build := exec.Command(goTool, "build", "-o", bin, kfakecmdPackage)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building kfakecmd: %v\n%s", err, out)
	}

	p := &Process{stderr: &syncbuf.Buffer{}, waited: make(chan struct{})}
	var args []string
	for _, o := range opts {
		args = append(args, o.args...)
		p.ClientOpts = append(p.ClientOpts, o.clientOpts...)
	}
	// Its standard input closing ends it: the test ended.
	p.cmd = exec.Command(bin, append(append([]string{"-exit-on-stdin-close"}, args...), "0")...)
	// Killed with the test process even while stopped; its standard input
	// closing ends it otherwise.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p.cmd.Stderr = p.stderr
	stdout, err := p.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting kfakecmd: %v", err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.waited)
	}()
	t.Cleanup(p.stop)

	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			line <- strings.TrimSpace(sc.Text())
		}
		close(line)
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case addrs, ok := <-line:
		if !ok || addrs == "" {
			t.Fatalf("kfakecmd printed no address; its errors: %s", p.stderr.String())
		}
		// One address a broker, comma-separated.
		p.addrs = strings.Split(addrs, ",")
	case <-time.After(30 * time.Second):
		t.Fatalf("kfakecmd printed no address within 30s; its errors: %s", p.stderr.String())
	}
	return p
}

// Addr is the first broker's host:port, enough for a client to find the
// others.
func (p *Process) Addr() string { return p.addrs[0] }

// Addrs are every broker's host:port.
func (p *Process) Addrs() []string { return append([]string(nil), p.addrs...) }

// Pause stops the broker process (SIGSTOP) and returns once the kernel
// reports it stopped: the signal is delivered asynchronously, and until
// then the broker may still answer.
func (p *Process) Pause(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("stopping kfakecmd: %v", err)
	}
	p.awaitState(t, true)
}

// Resume continues the broker process (SIGCONT) and returns once it runs.
func (p *Process) Resume(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("continuing kfakecmd: %v", err)
	}
	p.awaitState(t, false)
}

// awaitState polls the process state in /proc/<pid>/stat until it is
// stopped ("T") or not, as wanted.
func (p *Process) awaitState(t testing.TB, stopped bool) {
	t.Helper()
	stat := fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid)
	give := time.Now().Add(10 * time.Second)
	for {
		b, err := os.ReadFile(stat)
		if err != nil {
			t.Fatalf("kfakecmd state: %v", err)
		}
		// pid (comm) state ...: comm may hold spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 || i+2 >= len(b) {
			t.Fatalf("kfakecmd state: cannot parse %q", b)
		}
		if (b[i+2] == 'T') == stopped {
			return
		}
		if time.Now().After(give) {
			t.Fatalf("kfakecmd state %q, want stopped=%v after 10s", b[i+2], stopped)
		}
		time.Sleep(time.Millisecond)
	}
}

// Records reads every record of topic, partition by partition in offset
// order, with the Process's ClientOpts and clientOpts.
func (p *Process) Records(t testing.TB, topic string, clientOpts ...kgo.Opt) []Record {
	t.Helper()
	return ReadRecords(t, strings.Join(p.addrs, ","), topic, append(append([]kgo.Opt(nil), p.ClientOpts...), clientOpts...)...)
}

// Partitions is the number of partitions of topic, 0 when it is missing.
func (p *Process) Partitions(t testing.TB, topic string) int {
	t.Helper()
	return PartitionsAt(t, strings.Join(p.addrs, ","), topic, p.ClientOpts...)
}

// Replicas are the node ids holding a copy of each partition of topic, by
// partition; none when the topic is missing.
func (p *Process) Replicas(t testing.TB, topic string) map[int32][]int32 {
	t.Helper()
	return DescribeTopic(t, strings.Join(p.addrs, ","), topic, p.ClientOpts...)
}

func (p *Process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.stdin.Close()
	select {
	case <-p.waited:
		return
	case <-time.After(5 * time.Second):
	}
	_ = p.cmd.Process.Kill()
	<-p.waited
}
