// Package config is hirebridge's configuration: every part's settings
// (the webhook handler's, the sinks', the embedded server's, the spool's),
// each owned by the part's own Config with its env tags and checks,
// composed here under the variables' prefixes with the binary's own (the
// listeners, the data directory, logging, shutdown), read once from
// HIREBRIDGE_* variables through package settings.
package config

import (
	"crypto/rand"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/settings"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
	"github.com/hirebridge/hirebridge/sinks/spool"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// Prefix starts every variable.
const Prefix = "HIREBRIDGE_"

// HeaderAllowance is room for headers above the body limit: the embedded
// server's max payload is the body limit plus this, since NATS's own
// default of 1 MiB equals the default body limit and would leave none.
const HeaderAllowance = 16 << 10

// MaxBodyBytes leaves room for headers under NATS's hard limit on a message
// (its max_pending, 64 MiB); the embedded server refuses to start beyond it.
const MaxBodyBytes = 64<<20 - HeaderAllowance

// Config is every setting.
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:":8080"`
	AdminAddr   string `env:"ADMIN_ADDR" envDefault:"127.0.0.1:9090"`
	WebhookPath string `env:"WEBHOOK_PATH" envDefault:"/webhooks/hirempire"`
	// SourcesFile lists the sources and their tokens (package sources), in
	// the place of WEBHOOK_TOKEN; it is read again when it changes.
	SourcesFile string `env:"SOURCES_FILE"`
	Sink        string `env:"SINK" envDefault:"nats"`
	DataDir     string `env:"DATA_DIR" envDefault:"./data"`

	// MaxConnections bounds the webhook listener's open connections
	// (package connlimit); 0 sizes it to the memory limit at start
	// (AutomaticMaxConnections).
	MaxConnections int `env:"MAX_CONNECTIONS" envDefault:"0" zero:"sized at start to the memory limit"`

	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT" envDefault:"5s"`
	ReadTimeout       time.Duration `env:"READ_TIMEOUT" envDefault:"30s"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"120s"`
	ShutdownDelay     time.Duration `env:"SHUTDOWN_DELAY" envDefault:"0s"`
	// ShutdownTimeout bounds the wait for requests in flight; the sink's
	// flush and close come after it, within SinkCloseTimeout, a budget of
	// their own that a slow drain cannot eat into.
	ShutdownTimeout  time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	SinkCloseTimeout time.Duration `env:"SINK_CLOSE_TIMEOUT" envDefault:"10s"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`
	// Profiling serves net/http/pprof on the admin listener, so a user can
	// profile the service where it runs. Off by default: profiles show
	// internals, and a CPU profile costs while it runs.
	Profiling bool `env:"PPROF" envDefault:"false"`
	// AdminToken is the bearer token the console's actions (and one
	// event's body) need when the admin listener is not on loopback;
	// unset, they are refused there (SPEC 12).
	AdminToken string `env:"ADMIN_TOKEN" secret:"true"`

	Bridge   bridge.Config
	NATS     natsjs.Config   `envPrefix:"NATS_"`
	Embedded embedded.Config `envPrefix:"NATS_"`
	Kafka    kafka.Config    `envPrefix:"KAFKA_"`
	// KafkaBatchTimeout was the longest a Kafka record waited for its
	// batch to fill. It is still read, as text, so that no value of a
	// variable that does nothing stops a deployment that sets it; a set
	// one is warned of at start (DeprecatedVars).
	KafkaBatchTimeout string `env:"KAFKA_BATCH_TIMEOUT" deprecated:"records no longer wait for a batch to fill: a record goes out at once, or with the others that arrive while its partition's produce request is in flight"`
	Spool             spool.Config
	TypeCap           typecap.Config

	// What Load tells from the variables beyond their values.

	// TokenGenerated is true when no token was configured and one was
	// drawn at random; only then is it logged.
	TokenGenerated bool
	// SpoolDirResolved is true when HIREBRIDGE_SPOOL_DIR was empty and
	// the spool's directory is <HIREBRIDGE_DATA_DIR>/spool.
	SpoolDirResolved bool
	// EmbeddedAddrSet is true when HIREBRIDGE_NATS_EMBEDDED_ADDR was
	// given: a taken address is then an error rather than a cue to take a
	// free port.
	EmbeddedAddrSet bool
	// IgnoredVars are set variables of the sink not chosen, said at start
	// rather than silently ignored.
	IgnoredVars []string
	// DeprecatedVars are the set variables that no longer do anything,
	// said at start; they are not among IgnoredVars, whatever the sink.
	DeprecatedVars []DeprecatedVar
}

// DeprecatedVar is a variable given that no longer does anything, and why.
type DeprecatedVar struct{ Name, Why string }

// Load parses and validates the environment. Its errors are one line
// naming the variable at fault.
func Load(environ []string) (Config, error) {
	cfg, problems := load(environ)
	if len(problems) > 0 {
		return Config{}, problems[0]
	}
	return cfg, nil
}

// load is Load giving every problem it meets rather than the first; Check
// goes on from there. The configuration is resolved and validated only
// once every variable parsed: validating the zero a bad value left would
// report a second problem that is not there.
func load(environ []string) (Config, []error) {
	cfg, vars, problems := settings.LoadAll[Config](environ, Prefix)
	if len(problems) > 0 {
		return cfg, problems
	}
	_, cfg.EmbeddedAddrSet = vars[Prefix+"NATS_EMBEDDED_ADDR"]
	other := Prefix + "KAFKA_"
	if cfg.Sink == "kafka" {
		other = Prefix + "NATS_"
	}
	deprecated := map[string]string{}
	for _, s := range settings.Of(&cfg, Prefix) {
		if _, set := vars[s.Var]; set && s.Deprecated != "" {
			deprecated[s.Var] = s.Deprecated
		}
	}
	for name := range vars {
		if why, ok := deprecated[name]; ok {
			cfg.DeprecatedVars = append(cfg.DeprecatedVars, DeprecatedVar{name, why})
		} else if strings.HasPrefix(name, other) {
			cfg.IgnoredVars = append(cfg.IgnoredVars, name)
		}
	}
	slices.Sort(cfg.IgnoredVars)
	slices.SortFunc(cfg.DeprecatedVars, func(a, b DeprecatedVar) int { return strings.Compare(a.Name, b.Name) })
	if cfg.Spool.Dir == "" {
		cfg.Spool.Dir = filepath.Join(cfg.DataDir, "spool")
		cfg.SpoolDirResolved = true
	}
	if cfg.SourcesFile != "" {
		if err := cfg.readSources(); err != nil {
			// Alone: the token check behind it would only say the token
			// is missing.
			return cfg, []error{err}
		}
	} else if cfg.Bridge.Token == "" {
		cfg.Bridge.Token = rand.Text()
		cfg.TokenGenerated = true
	}
	return cfg, cfg.Problems()
}
