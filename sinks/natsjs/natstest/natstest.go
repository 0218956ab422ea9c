// Package natstest runs real JetStream servers for tests: in process, on a
// free port, storing under the test's temporary directory (Start); or a
// cluster of nats-server processes a test can kill and restart
// (StartCluster, on Linux).
package natstest

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Server is a JetStream server that a test can stop and start again on the
// same port and store, as a broker that goes down and comes back.
type Server struct {
	*server.Server
	opts server.Options
	// conf is the configuration file a server started by StartConf reads
	// at each start, as an operator's server would.
	conf string
}

// Start runs a JetStream server on a free port of 127.0.0.1, shut down when
// the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartIn(t, t.TempDir())
}

// StartIn is Start storing under dir, such as a small file system that a
// test fills up.
func StartIn(t testing.TB, dir string) *Server {
	t.Helper()
	s := &Server{opts: server.Options{
		Host: "127.0.0.1",
		// The first start binds a port of the kernel's choosing, so no other
		// test can take it between choosing and binding; restarts reuse it.
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   dir,
		NoSigs:     true,
		NoLog:      true,
		MaxPayload: 8 << 20,
	}}
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

// StartConf runs a server from a nats-server configuration text (accounts,
// users, permissions), on a free port of 127.0.0.1 with JetStream storing
// under the test's temporary directory, shut down when the test ends.
// Rewrite changes the file; Restart reads it again.
func StartConf(t testing.TB, conf string) *Server {
	t.Helper()
	s := &Server{conf: filepath.Join(t.TempDir(), "nats.conf"), opts: server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, StoreDir: t.TempDir(),
	}}
	s.Rewrite(t, conf)
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

// Rewrite replaces the configuration file of a StartConf server, and
// reloads it when the server runs.
func (s *Server) Rewrite(t testing.TB, conf string) {
	t.Helper()
	if err := os.WriteFile(s.conf, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.Server != nil && s.Running() {
		if err := s.ReloadOptions(s.options(t)); err != nil {
			t.Fatalf("reloading nats-server: %v", err)
		}
	}
}

// options are the server's: its configuration file's, when it has one,
// on its address and store.
func (s *Server) options(t testing.TB) *server.Options {
	t.Helper()
	if s.conf == "" {
		opts := s.opts
		return &opts
	}
	opts, err := server.ProcessConfigFile(s.conf)
	if err != nil {
		t.Fatalf("nats-server configuration: %v", err)
	}
	opts.Host, opts.Port, opts.StoreDir = s.opts.Host, s.opts.Port, s.opts.StoreDir
	opts.JetStream, opts.NoSigs, opts.NoLog = true, true, true
	return opts
}

// URL is the client URL; it stays the same across Restart.
func (s *Server) URL() string {
	return "nats://" + net.JoinHostPort(s.opts.Host, strconv.Itoa(s.opts.Port))
}

// Stop shuts the server down and waits until it has closed its store.
func (s *Server) Stop() {
	if s.Server != nil && s.Running() {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Restart starts the server again on the same port with the same store.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// RestartEmpty starts the server again on the same port with a new, empty
// store: a broker whose disk was lost or replaced.
func (s *Server) RestartEmpty(t testing.TB) {
	t.Helper()
	s.Stop()
	s.opts.StoreDir = t.TempDir()
	s.start(t)
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	srv, err := server.NewServer(s.options(t))
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatalf("nats-server did not start on %s", s.URL())
	}
	s.Server = srv
	s.opts.Port = srv.Addr().(*net.TCPAddr).Port
}
