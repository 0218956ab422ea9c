package natsjs

import (
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"
)

// Config says where and how to connect and what stream to use.
type Config struct {
	// URLs are one or more server URLs, comma separated.
	URLs string
	// Stream is the JetStream stream capturing Prefix + ".>".
	Stream string
	Prefix string

	// StreamReplicas, StreamMaxAge and DuplicateWindow apply when the stream
	// is created; an existing stream is used as it is.
	StreamReplicas  int
	StreamMaxAge    time.Duration
	DuplicateWindow time.Duration
	// StreamMaxBytes caps the stream the bridge creates; beyond it new
	// events are refused (503), never old ones dropped. Zero or less is no
	// cap.
	StreamMaxBytes int64

	// MaxPending bounds publishes awaiting an ack on the connection.
	MaxPending int
	// AckTimeout is how long the client keeps waiting for an ack that no
	// request waits for any more; it frees the slot.
	AckTimeout    time.Duration
	ReconnectWait time.Duration

	Auth Auth
	TLS  TLS

	// InProcess, when set, connects to an embedded server without a socket.
	InProcess nats.InProcessConnProvider
	// Local is the embedded server, when the sink publishes to one.
	Local LocalServer

	// Log receives the client's asynchronous errors and connection changes,
	// which nats.go would otherwise print to stderr as plain text.
	Log zerolog.Logger
}

// Auth holds at most one way to authenticate; secrets are already resolved
// from their files.
type Auth struct {
	CredsFile    string
	NkeySeedFile string
	User         string
	Password     string
	Token        string
}

// TLS configures the client side of TLS; empty fields are unused.
type TLS struct {
	CAFile   string
	CertFile string
	KeyFile  string
}

// Connect opens a connection with c's address, authentication and TLS, and
// the reconnect policy of the sink. Tools following the stream use it too,
// so they reach any server the bridge reaches.
func (c Config) Connect(name string) (*nats.Conn, error) {
	opts, err := c.options(name)
	if err != nil {
		return nil, err
	}
	url := c.URLs
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	return nc, nil
}

func (c Config) options(name string) ([]nats.Option, error) {
	opts := []nats.Option{
		nats.Name(name),
		// Reconnect forever: the bridge is useless without its broker, and
		// readiness tells the orchestrator while it is away.
		nats.MaxReconnects(-1),
		nats.ReconnectWait(c.ReconnectWait),
		// No reconnect buffer: a publish while disconnected must fail now
		// and become a 503, never sit in memory where a crash would lose it
		// after the sender was told nothing.
		nats.ReconnectBufSize(-1),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			e := c.Log.Warn().Err(err).Str("component", "nats")
			if sub != nil {
				e = e.Str("subject", sub.Subject)
			}
			e.Msg("NATS asynchronous error")
		}),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			c.Log.Warn().Err(err).Str("component", "nats").Msg("disconnected from NATS; reconnecting")
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.Log.Info().Str("component", "nats").Str("server", nc.ConnectedUrlRedacted()).Msg("reconnected to NATS")
		}),
	}
	if c.InProcess != nil {
		opts = append(opts, nats.InProcessServer(c.InProcess))
	}
	a := c.Auth
	switch {
	case a.CredsFile != "":
		opts = append(opts, nats.UserCredentials(a.CredsFile))
	case a.NkeySeedFile != "":
		opt, err := nats.NkeyOptionFromSeed(a.NkeySeedFile)
		if err != nil {
			return nil, fmt.Errorf("reading the nkey seed: %w", err)
		}
		opts = append(opts, opt)
	case a.User != "":
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	case a.Token != "":
		opts = append(opts, nats.Token(a.Token))
	}
	if c.TLS.CAFile != "" {
		opts = append(opts, nats.RootCAs(c.TLS.CAFile))
	}
	if c.TLS.CertFile != "" || c.TLS.KeyFile != "" {
		opts = append(opts, nats.ClientCert(c.TLS.CertFile, c.TLS.KeyFile))
	}
	return opts, nil
}
