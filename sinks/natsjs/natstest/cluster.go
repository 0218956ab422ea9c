//go:build linux

package natstest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Cluster is n nats-server processes routed to each other, JetStream on,
// each with its own store under the test's temporary directory: a test can
// kill one with SIGKILL, as a crash or an out-of-memory kill does, and
// start it again on the same store and ports. The servers are named n0,
// n1, ...; the cluster's name is unique to the test process.
type Cluster struct {
	name  string
	bin   string
	nodes []*node
	// nc is the harness's own client, on every server (it reconnects to
	// another when its own goes), for asking which server leads a stream.
	nc *nats.Conn
	js jetstream.JetStream
}

// node is one server of the cluster and its process, when it runs.
type node struct {
	index             int
	name              string
	port, clusterPort int
	conf, log         string

	mu   sync.Mutex
	proc *serverProcess // nil while stopped
}

// serverProcess is a running server. Its standard input is a pipe the
// server watches: closing it (or the test process dying) ends the server.
type serverProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	exited chan struct{}
}

// clusterSeq makes cluster names unique within the test process; the pid
// makes them unique on the machine.
var clusterSeq atomic.Int64

// startPatience is how long a server, or the whole cluster, may take to
// start and agree on a JetStream meta leader: a CI machine running eight
// test binaries on two cores is slow.
const startPatience = 60 * time.Second

// StartCluster runs n nats-server processes routed to each other and waits
// until they can place a stream with n replicas; every process is killed
// when the test ends. The binary is built once per test binary from the
// module's own nats-server/v2 (natsservercmd).
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	if n < 1 {
		t.Fatalf("StartCluster(%d): want at least one server", n)
	}
	c := &Cluster{
		name: fmt.Sprintf("natstest_%d_%d", os.Getpid(), clusterSeq.Add(1)),
		bin:  serverBinary(t),
	}
	ports := freePorts(t, 2*n)
	for i := range n {
		c.nodes = append(c.nodes, &node{index: i, name: fmt.Sprintf("n%d", i), port: ports[2*i], clusterPort: ports[2*i+1]})
	}
	base := t.TempDir()
	for _, nd := range c.nodes {
		nd.conf = filepath.Join(base, nd.name+".conf")
		nd.log = filepath.Join(base, nd.name+".log")
		if err := os.WriteFile(nd.conf, []byte(c.config(nd, filepath.Join(base, nd.name+"-store"))), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { c.stopAll(t) })
	for _, nd := range c.nodes {
		c.start(t, nd)
	}
	nc, err := nats.Connect(c.URLs(),
		nats.Name("natstest cluster"),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(50*time.Millisecond),
		// Fail a request at once while reconnecting, rather than buffer it.
		nats.ReconnectBufSize(-1),
		nats.NoCallbacksAfterClientClose(),
	)
	if err != nil {
		t.Fatalf("connecting to the cluster: %v", err)
	}
	c.nc = nc
	if c.js, err = jetstream.New(nc); err != nil {
		t.Fatal(err)
	}
	c.waitPlaceable(t)
	return c
}

// config is a server's configuration file.
func (c *Cluster) config(nd *node, store string) string {
	var routes []string
	for _, other := range c.nodes {
		if other != nd {
			routes = append(routes, strconv.Quote("nats-route://127.0.0.1:"+strconv.Itoa(other.clusterPort)))
		}
	}
	return fmt.Sprintf(`server_name: %s
listen: "127.0.0.1:%d"
max_payload: 8MB
jetstream {
  store_dir: %q
  max_memory_store: 256MB
  max_file_store: 2GB
}
cluster {
  name: %s
  listen: "127.0.0.1:%d"
  routes: [%s]
}
`, nd.name, nd.port, store, c.name, nd.clusterPort, strings.Join(routes, ", "))
}

// URLs are the client URLs of every server, comma separated, as
// HIREBRIDGE_NATS_URL takes them; they stay the same across restarts.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.nodes))
	for i := range c.nodes {
		urls[i] = c.URL(i)
	}
	return strings.Join(urls, ",")
}

// URL is the client URL of server i.
func (c *Cluster) URL(i int) string {
	return "nats://127.0.0.1:" + strconv.Itoa(c.nodes[i].port)
}

// Size is the number of servers.
func (c *Cluster) Size() int { return len(c.nodes) }

// Name is server i's name, as stream info's Cluster.Leader gives it.
func (c *Cluster) Name(i int) string { return c.nodes[i].name }

// Running reports whether server i's process runs.
func (c *Cluster) Running(i int) bool {
	nd := c.nodes[i]
	nd.mu.Lock()
	defer nd.mu.Unlock()
	return nd.proc != nil
}

// Kill ends server i with SIGKILL, as a crash does: nothing is flushed,
// no leadership handed over; it returns once the process is gone.
func (c *Cluster) Kill(t testing.TB, i int) {
	t.Helper()
	c.end(t, i, syscall.SIGKILL)
}

// Stop ends server i with SIGTERM, as a rolling update does: the server
// shuts down in order. It returns once the process is gone.
func (c *Cluster) Stop(t testing.TB, i int) {
	t.Helper()
	c.end(t, i, syscall.SIGTERM)
}

// Restart starts server i again, after Kill or Stop, on the same ports and
// store, and returns once it accepts connections and reaches the
// cluster's JetStream meta leader.
func (c *Cluster) Restart(t testing.TB, i int) {
	t.Helper()
	if c.Running(i) {
		t.Fatalf("Restart(%d): %s is running; Kill or Stop it first", i, c.nodes[i].name)
	}
	c.start(t, c.nodes[i])
	c.waitJetStream(t, i)
}

// StreamLeader is the index of the server leading stream, or -1 when none
// does now (an election, no quorum) or the cluster does not answer within
// a second.
func (c *Cluster) StreamLeader(t testing.TB, stream string) int {
	t.Helper()
	info, err := c.streamInfo(stream, time.Second)
	if err != nil || info.Cluster == nil {
		return -1
	}
	return c.index(info.Cluster.Leader)
}

// WaitStreamLeader waits until a running server leads stream and returns
// its index.
func (c *Cluster) WaitStreamLeader(t testing.TB, stream string, within time.Duration) int {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if i := c.StreamLeader(t, stream); i >= 0 && c.Running(i) {
			return i
		}
		if time.Now().After(deadline) {
			t.Fatalf("no server led stream %s within %s", stream, within)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitStreamCurrent waits until stream has a leader and every other
// replica is online and caught up with it: a rolling restart takes the
// next server down only then.
func (c *Cluster) WaitStreamCurrent(t testing.TB, stream string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		info, err := c.streamInfo(stream, time.Second)
		if err == nil && streamCurrent(info) {
			return
		}
		if time.Now().After(deadline) {
			if err == nil {
				err = fmt.Errorf("cluster %+v", describeCluster(info))
			}
			t.Fatalf("stream %s not current on every replica within %s: %v", stream, within, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func streamCurrent(info *jetstream.StreamInfo) bool {
	ci := info.Cluster
	if ci == nil {
		// A stream of one replica, on one server.
		return true
	}
	if ci.Leader == "" || len(ci.Replicas) != info.Config.Replicas-1 {
		return false
	}
	for _, r := range ci.Replicas {
		if !r.Current || r.Offline {
			return false
		}
	}
	return true
}

func describeCluster(info *jetstream.StreamInfo) string {
	if info.Cluster == nil {
		return "none"
	}
	s := "leader " + strconv.Quote(info.Cluster.Leader)
	for _, r := range info.Cluster.Replicas {
		s += fmt.Sprintf(", %s current=%v offline=%v lag=%d", r.Name, r.Current, r.Offline, r.Lag)
	}
	return s
}

func (c *Cluster) streamInfo(stream string, timeout time.Duration) (*jetstream.StreamInfo, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	st, err := c.js.Stream(ctx, stream)
	if err != nil {
		return nil, err
	}
	return st.CachedInfo(), nil
}

// index is the index of the server named name, or -1.
func (c *Cluster) index(name string) int {
	for i, nd := range c.nodes {
		if nd.name == name {
			return i
		}
	}
	return -1
}

// Log is what server i wrote so far, across its restarts.
func (c *Cluster) Log(i int) string {
	b, _ := os.ReadFile(c.nodes[i].log)
	return string(b)
}

// start runs nd's process, and returns once it accepts connections.
func (c *Cluster) start(t testing.TB, nd *node) {
	t.Helper()
	log, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	p := &serverProcess{exited: make(chan struct{})}
	p.cmd = exec.Command(c.bin, "-c", nd.conf)
	// A file, not a pipe: no goroutine of this process copies the output.
	p.cmd.Stdout, p.cmd.Stderr = log, log
	// Killed with the test process even while this one is paused by a
	// debugger; its standard input closing ends it otherwise.
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if p.stdin, err = p.cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", nd.name, err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	nd.mu.Lock()
	nd.proc = p
	nd.mu.Unlock()

	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(nd.port))
	deadline := time.Now().Add(startPatience)
	for {
		select {
		case <-p.exited:
			t.Fatalf("%s exited at start: %v\n%s", nd.name, p.cmd.ProcessState, tail(c.Log(nd.index), 4000))
		default:
		}
		if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			conn.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not accept connections within %s\n%s", nd.name, startPatience, tail(c.Log(nd.index), 4000))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitJetStream waits until server i, asked alone, answers a JetStream API
// request: it is routed to the cluster, which has a meta leader.
func (c *Cluster) waitJetStream(t testing.TB, i int) {
	t.Helper()
	deadline := time.Now().Add(startPatience)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			nc, err := nats.Connect(c.URL(i), nats.NoReconnect())
			if err != nil {
				return err
			}
			defer nc.Close()
			js, err := jetstream.New(nc)
			if err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			_, err = js.AccountInfo(ctx)
			return err
		}()
		if last == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s answered no JetStream request within %s: %v\n%s", c.nodes[i].name, startPatience, last, tail(c.Log(i), 4000))
}

// waitPlaceable waits until the cluster can create a stream with a replica
// on every server, by creating and deleting one: the meta leader knows
// every server only some time after each started.
func (c *Cluster) waitPlaceable(t testing.TB) {
	t.Helper()
	const probe = "NATSTEST_PROBE"
	deadline := time.Now().Add(startPatience)
	var last error
	for time.Now().Before(deadline) {
		last = func() error {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_, err := c.js.CreateStream(ctx, jetstream.StreamConfig{
				Name: probe, Subjects: []string{"natstest.probe"}, Storage: jetstream.MemoryStorage, Replicas: len(c.nodes),
			})
			if err != nil && !errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
				return err
			}
			return c.js.DeleteStream(ctx, probe)
		}()
		if last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("the cluster could not place a stream of %d replicas within %s: %v", len(c.nodes), startPatience, last)
}

// end signals server i and waits until its process is gone; a server that
// does not stop within 30 s of SIGTERM is killed.
func (c *Cluster) end(t testing.TB, i int, sig syscall.Signal) {
	t.Helper()
	nd := c.nodes[i]
	nd.mu.Lock()
	p := nd.proc
	nd.proc = nil
	nd.mu.Unlock()
	if p == nil {
		t.Fatalf("%s is not running", nd.name)
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
		t.Errorf("%s did not stop within 30s of %s; killed", nd.name, sig)
	}
	_ = p.stdin.Close()
}

// stopAll kills every server that runs, and shows the end of each one's
// log when the test failed.
func (c *Cluster) stopAll(t testing.TB) {
	if c.nc != nil {
		c.nc.Close()
	}
	for i, nd := range c.nodes {
		nd.mu.Lock()
		p := nd.proc
		nd.proc = nil
		nd.mu.Unlock()
		if p != nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
			_ = p.stdin.Close()
		}
		if t.Failed() {
			t.Logf("the end of %s's log:\n%s", nd.name, tail(c.Log(i), 3000))
		}
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
