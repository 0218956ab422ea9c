// Package embedded runs the in-process NATS JetStream server of the
// zero-configuration default, and heals its store after a write failure.
// It is apart from the sink so that a bridge on an external server does
// not link nats-server.
package embedded

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/rs/zerolog"
)

// Config configures the in-process JetStream server of the
// zero-configuration default.
type Config struct {
	// Addr is the client address, host:port.
	Addr string `env:"EMBEDDED_ADDR" envDefault:"127.0.0.1:4222"`
	// FallbackToFreePort lets the server take a free port when Addr is in
	// use. It is set only when Addr is the default: an address the user chose
	// and cannot have is an error.
	FallbackToFreePort bool
	// DataDir holds the JetStream store, under DataDir/nats.
	DataDir string
	// MaxPayload is the largest message accepted; it must exceed the HTTP
	// body limit plus headers.
	MaxPayload int32
	Log        zerolog.Logger
}

// Server is a running embedded server.
type Server struct {
	*server.Server
	// FellBack is true when the configured address was taken and the server
	// listens on a free port instead.
	FellBack bool

	storeDir string
	// healAt is the free space the store's file system needs before a
	// broken store is restarted: room for a few of the largest messages.
	healAt uint64
	log    zerolog.Logger
	health storeHealth
	stop   chan struct{}
	done   chan struct{}
}

// ErrAddrInUse means the embedded server's address is taken.
var ErrAddrInUse = errors.New("address already in use")

// Start starts a JetStream server storing on disk under
// c.DataDir, so events survive restarts.
func Start(c Config) (*Server, error) {
	host, portText, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return nil, fmt.Errorf("embedded server address %q: %w", c.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("embedded server address %q: bad port", c.Addr)
	}
	fellBack := false
	if port != 0 && !portFree(c.Addr) {
		if !c.FallbackToFreePort {
			return nil, fmt.Errorf("embedded server address %s: %w", c.Addr, ErrAddrInUse)
		}
		port, fellBack = server.RANDOM_PORT, true
	}
	if port == 0 {
		port = server.RANDOM_PORT
	}
	opts := &server.Options{
		ServerName: "hirebridge-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(c.DataDir, "nats"),
		MaxPayload: c.MaxPayload,
		NoSigs:     true,
		// Keep the server's own HTTP monitoring off: the bridge has its own
		// admin listener.
		HTTPPort: 0,
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	e := &Server{
		Server:   srv,
		FellBack: fellBack,
		storeDir: opts.StoreDir,
		healAt:   max(minHealSpace, 4*uint64(max(c.MaxPayload, 0))),
		log:      c.Log,
		stop:     make(chan struct{}),
		done:     make(chan struct{}),
	}
	srv.SetLoggerV2(serverLogger{log: c.Log, storeFailed: e.health.fail}, false, false, false)
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		return nil, fmt.Errorf("embedded NATS server did not start on %s", c.Addr)
	}
	go e.watch()
	return e, nil
}

// Stop shuts the server down and waits until its store is closed.
func (e *Server) Stop() {
	close(e.stop)
	<-e.done
	e.Shutdown()
	e.WaitForShutdown()
}

func portFree(addr string) bool {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// serverLogger routes the server's logs to zerolog. It never exits the
// process: Fatalf from a library must not bypass the bridge's shutdown.
type serverLogger struct {
	log zerolog.Logger
	// storeFailed hears of store write errors, which the server reports
	// only in its log: the stream stays up but acknowledges nothing more.
	storeFailed func(string)
}

func (l serverLogger) Noticef(format string, v ...any) { l.log.Debug().Msgf(format, v...) }
func (l serverLogger) Warnf(format string, v ...any)   { l.log.Warn().Msgf(format, v...) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.log.Error().Msgf(format, v...) }
func (l serverLogger) Errorf(format string, v ...any) {
	msg := fmt.Sprintf(format, v...)
	if isStoreFailure(msg) {
		l.storeFailed(msg)
	}
	l.log.Error().Msg(msg)
}
func (l serverLogger) Debugf(format string, v ...any) { l.log.Debug().Msgf(format, v...) }
func (l serverLogger) Tracef(format string, v ...any) { l.log.Trace().Msgf(format, v...) }
