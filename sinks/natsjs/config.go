package natsjs

import (
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
)

// Config says where and how to connect and what stream to use. The env
// tags name each setting's variable (under the binary's prefix for this
// sink) and hold its default; fields without one are set by the binary
// from settings it shares with other parts.
type Config struct {
	// URLs are one or more server URLs, comma separated; empty means the
	// embedded server.
	URLs string `env:"URL"`
	// Stream is the JetStream stream capturing Prefix + ".>".
	Stream string `env:"STREAM" envDefault:"HIREMPIRE"`
	Prefix string

	// StreamReplicas, StreamMaxAge and DuplicateWindow apply when the stream
	// is created; an existing stream is used as it is.
	StreamReplicas int           `env:"STREAM_REPLICAS" envDefault:"1"`
	StreamMaxAge   time.Duration `env:"STREAM_MAX_AGE" envDefault:"0s"`
	// DuplicateWindow costs JetStream about 215 bytes of memory per event
	// within it, whatever the rate. 0 is automatic: a minute on an
	// external server (half JetStream's own default; the memory is the
	// server's), 2 s on the embedded one, where that memory is the
	// bridge's own and the bridge's window (RememberIDs) remembers ids for
	// longer at a bounded cost.
	DuplicateWindow time.Duration `env:"DUPLICATE_WINDOW" envDefault:"0s"`
	// RememberIDs and RememberFor bound the bridge's own window of ids
	// the stream acknowledged, answered duplicate without a publish while
	// that stream is the one there (window.go): at most RememberIDs ids
	// (about 60 bytes each), none older than RememberFor. 0 turns it off.
	RememberIDs int           `env:"DEDUP_WINDOW_SIZE" envDefault:"100000" zero:"off"`
	RememberFor time.Duration `env:"DEDUP_WINDOW_AGE" envDefault:"10m"`
	// StreamMaxBytes caps the stream the bridge creates; beyond it new
	// events are refused (503), never old ones dropped. -1 is no cap; 0 is
	// automatic, which the binary resolves: half the free space of the
	// embedded server's disk, no cap on an external server.
	StreamMaxBytes int64 `env:"STREAM_MAX_BYTES" envDefault:"0"`

	// MaxPending bounds publishes awaiting an ack on the connection.
	MaxPending int `env:"MAX_PENDING" envDefault:"4096"`
	// AckTimeout is how long the client keeps waiting for an ack that no
	// request waits for any more; it frees the slot.
	AckTimeout time.Duration
	// ReconnectWait is the pause between reconnect attempts; it reconnects
	// forever.
	ReconnectWait time.Duration `env:"RECONNECT_WAIT" envDefault:"2s"`

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
	CredsFile    string `env:"CREDS_FILE"`
	NkeySeedFile string `env:"NKEY_SEED_FILE"`
	User         string `env:"USER"`
	Password     string `env:"PASSWORD" secret:"true"`
	Token        string `env:"TOKEN" secret:"true"`
}

// TLS configures the client side of TLS; empty fields are unused.
type TLS struct {
	CAFile   string `env:"TLS_CA_FILE"`
	CertFile string `env:"TLS_CERT_FILE"`
	KeyFile  string `env:"TLS_KEY_FILE"`
}

// Validate reports the first field that cannot work, as a
// *sinks.FieldError. It reads no files: Connect reports unreadable ones.
func (c Config) Validate() error {
	bad := func(field, format string, args ...any) error {
		return sinks.FieldErrorf("nats", field, format, args...)
	}
	switch {
	case c.Stream == "" || strings.ContainsAny(c.Stream, ".*> \t"):
		return bad("Stream", "%q must be a name without '.', '*', '>' or spaces", c.Stream)
	case c.StreamReplicas < 1 || c.StreamReplicas > 5:
		return bad("StreamReplicas", "must be 1 to 5, got %d", c.StreamReplicas)
	case c.StreamMaxAge < 0:
		return bad("StreamMaxAge", "must not be negative (0 keeps events until removed)")
	case c.StreamMaxBytes < -1:
		return bad("StreamMaxBytes", "must be a number of bytes, 0 (automatic) or -1 (no cap), got %d", c.StreamMaxBytes)
	case c.DuplicateWindow < 0:
		return bad("DuplicateWindow", "must be a positive duration such as 1m, or 0 (automatic), got %s", c.DuplicateWindow)
	case c.RememberIDs < 0:
		return bad("RememberIDs", "must be a number of ids, or 0 (off), got %d", c.RememberIDs)
	case c.RememberFor <= 0 && c.RememberIDs > 0:
		return bad("RememberFor", "must be a positive duration such as 10m, got %s", c.RememberFor)
	case c.MaxPending <= 0:
		return bad("MaxPending", "must be positive, got %d", c.MaxPending)
	case c.ReconnectWait <= 0:
		return bad("ReconnectWait", "must be a positive duration such as 2s, got %s", c.ReconnectWait)
	case (c.TLS.CertFile == "") != (c.TLS.KeyFile == ""):
		return bad("TLS.CertFile", "and the key file must be set together")
	}
	return nil
}

// Automatic duplicate windows, for DuplicateWindow 0.
const (
	externalDuplicateWindow = time.Minute
	embeddedDuplicateWindow = 2 * time.Second
)

// duplicateWindow resolves an automatic DuplicateWindow.
func (c Config) duplicateWindow() time.Duration {
	if c.DuplicateWindow > 0 {
		return c.DuplicateWindow
	}
	return AutomaticDuplicateWindow(c.Local != nil)
}

// AutomaticDuplicateWindow is the duplicate window of a stream the sink
// creates with DuplicateWindow 0, on the embedded server or an external
// one; exported so `hirebridge config` shows the value in use.
func AutomaticDuplicateWindow(embedded bool) time.Duration {
	if embedded {
		return embeddedDuplicateWindow
	}
	return externalDuplicateWindow
}

// Connect opens a connection with c's address, authentication and TLS, and
// the reconnect policy of the sink. Tools following the stream use it too,
// so they reach any server the bridge reaches.
func (c Config) Connect(name string) (*nats.Conn, error) { return c.connect(name) }

// connect is Connect with options of the caller's on top, such as the
// sink's own asynchronous error handler.
func (c Config) connect(name string, extra ...nats.Option) (*nats.Conn, error) {
	opts, err := c.options(name)
	if err != nil {
		return nil, err
	}
	opts = append(opts, extra...)
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
		nats.DisconnectErrHandler(func(nc *nats.Conn, err error) {
			if nc.IsClosed() {
				// Closed on purpose (shutdown): there is no reconnecting.
				return
			}
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
