package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/embedded"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

const envPrefix = "HIREBRIDGE_"

// maxBodyBytes leaves room for headers under NATS's hard limit on a message
// (its max_pending, 64 MiB); the embedded server refuses to start beyond it.
const maxBodyBytes = 64<<20 - headerAllowance

// Config is every setting, parsed once from HIREBRIDGE_* variables. Each
// part owns its settings: the env tags, defaults and checks of the webhook
// handler, the sinks and the embedded server are on their own Config
// types; the binary composes them and owns only what is its own (the
// listeners, the data directory, logging, shutdown).
type Config struct {
	HTTPAddr    string `env:"HTTP_ADDR" envDefault:":8080"`
	AdminAddr   string `env:"ADMIN_ADDR" envDefault:"127.0.0.1:9090"`
	WebhookPath string `env:"WEBHOOK_PATH" envDefault:"/webhooks/hirempire"`
	Sink        string `env:"SINK" envDefault:"nats"`
	DataDir     string `env:"DATA_DIR" envDefault:"./data"`

	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT" envDefault:"5s"`
	ReadTimeout       time.Duration `env:"READ_TIMEOUT" envDefault:"30s"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"120s"`
	ShutdownDelay     time.Duration `env:"SHUTDOWN_DELAY" envDefault:"0s"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`
	// Profiling serves net/http/pprof on the admin listener, so a user can
	// profile the service where it runs. Off by default: profiles show
	// internals, and a CPU profile costs while it runs.
	Profiling bool `env:"PPROF" envDefault:"false"`

	Bridge   bridge.Config
	NATS     natsjs.Config   `envPrefix:"NATS_"`
	Embedded embedded.Config `envPrefix:"NATS_"`
	Kafka    kafka.Config    `envPrefix:"KAFKA_"`
	Spool    spool.Config

	// tokenGenerated is true when no token was configured and one was drawn
	// at random; only then is it logged.
	tokenGenerated bool
	// embeddedAddrSet is true when HIREBRIDGE_NATS_EMBEDDED_ADDR was given:
	// a taken address is then an error rather than a cue to take a free port.
	embeddedAddrSet bool
	// ignoredVars are set variables of the sink not chosen, said at start
	// rather than silently ignored.
	ignoredVars []string
}

// loadConfig parses and validates the environment. Its errors are one line
// naming the variable at fault.
func loadConfig(environ []string) (Config, error) {
	vars := env.ToMap(environ)
	all := settingsOf(&Config{})
	if err := readSecretFiles(vars, all); err != nil {
		return Config{}, err
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: vars, Prefix: envPrefix})
	if err != nil {
		return Config{}, describeParseError(err, vars, all)
	}
	if err := explicitZeros(vars, &cfg); err != nil {
		return Config{}, err
	}
	_, cfg.embeddedAddrSet = vars[envPrefix+"NATS_EMBEDDED_ADDR"]
	other := envPrefix + "KAFKA_"
	if cfg.Sink == "kafka" {
		other = envPrefix + "NATS_"
	}
	for name := range vars {
		if strings.HasPrefix(name, other) {
			cfg.ignoredVars = append(cfg.ignoredVars, name)
		}
	}
	slices.Sort(cfg.ignoredVars)
	if cfg.Spool.Dir == "" {
		cfg.Spool.Dir = filepath.Join(cfg.DataDir, "spool")
	}
	if cfg.Bridge.Token == "" {
		cfg.Bridge.Token = rand.Text()
		cfg.tokenGenerated = true
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

// readSecretFiles reads each secret setting from <NAME>_FILE when that is
// given, as Kubernetes mounts secrets.
func readSecretFiles(vars map[string]string, all []setting) error {
	for _, s := range all {
		if !s.Secret {
			continue
		}
		path, ok := vars[s.Var+"_FILE"]
		if !ok || path == "" {
			continue
		}
		if vars[s.Var] != "" {
			return fmt.Errorf("%s and %s_FILE are both set; set one", s.Var, s.Var)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", s.Var, err)
		}
		// Editors and kubectl leave a trailing newline that is not part of
		// the secret.
		vars[s.Var] = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

// explicitZeros refuses a variable set to zero where its default is not:
// the parts take a zero as "use the default", and a variable set to zero
// is a mistake to report, not a default to apply. Fields tagged zero:"..."
// give zero a meaning of their own.
func explicitZeros(vars map[string]string, cfg *Config) error {
	defaults := defaultConfig()
	byPath := map[string]setting{}
	for _, d := range settingsOf(&defaults) {
		byPath[d.Path] = d
	}
	for _, s := range settingsOf(cfg) {
		if _, set := vars[s.Var]; !set || s.value.Kind() == reflect.Bool || s.value.Kind() == reflect.String {
			continue
		}
		if s.value.IsZero() && !byPath[s.Path].value.IsZero() && s.ZeroMeans == "" {
			return fmt.Errorf("%s: must not be %s (its default is %s)", s.Var, vars[s.Var], s.Default)
		}
	}
	return nil
}

// Validate checks the binary's own settings, then each part's.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, name, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, name, fmt.Sprintf(format, args...)))
		}
	}
	check(c.Sink == "nats" || c.Sink == "kafka", "SINK", "%q is not a sink; use nats or kafka", c.Sink)
	check(strings.HasPrefix(c.WebhookPath, "/") && !strings.HasSuffix(c.WebhookPath, "/") &&
		!strings.ContainsAny(c.WebhookPath, "{} ?#"),
		"WEBHOOK_PATH", "%q must start with / and not end with /, without {, }, spaces, ? or #", c.WebhookPath)
	check(c.Bridge.MaxBodyBytes <= maxBodyBytes, "MAX_BODY_BYTES", "must be at most %d, got %d", maxBodyBytes, c.Bridge.MaxBodyBytes)
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"READ_HEADER_TIMEOUT", c.ReadHeaderTimeout}, {"READ_TIMEOUT", c.ReadTimeout},
		{"IDLE_TIMEOUT", c.IdleTimeout}, {"SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
	} {
		check(d.v > 0, d.name, "must be a positive duration such as 10s, got %s", d.v)
	}
	check(c.ShutdownDelay >= 0, "SHUTDOWN_DELAY", "must not be negative")
	_, err := zerolog.ParseLevel(c.LogLevel)
	check(err == nil && c.LogLevel != "", "LOG_LEVEL", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	check(c.LogFormat == "json" || c.LogFormat == "console", "LOG_FORMAT", "%q is not json or console", c.LogFormat)
	// The embedded server lives in this process, on this disk: a spool
	// beside it would fail with it, and it never goes away on its own.
	check(!c.Spool.On || c.Sink != "nats" || c.NATS.URLs != "", "SPOOL",
		"the spool keeps events while an external broker is away; with the embedded NATS server (HIREBRIDGE_NATS_URL empty) the broker runs in this process and stores on the same disk, so there is nothing for a spool to outlast: set HIREBRIDGE_NATS_URL or turn the spool off")
	// Only the first is reported: the README promises one line.
	if len(errs) > 0 {
		return errs[0]
	}
	if err := c.Bridge.Validate(); err != nil {
		return c.varError(err)
	}
	if c.Spool.On {
		if err := spoolConfig(*c, zerolog.Nop()).Validate(); err != nil {
			return c.varError(err)
		}
	}
	switch c.Sink {
	case "nats":
		return c.varError(natsConfig(*c).Validate())
	case "kafka":
		return c.varError(kafkaConfig(*c, zerolog.Nop()).Validate())
	}
	return nil
}

// sharedVars name the variables behind part fields the binary sets from
// settings it shares among parts.
var sharedVars = map[string]string{
	"Prefix":      envPrefix + "TOPIC_PREFIX",
	"AckTimeout":  envPrefix + "PUBLISH_TIMEOUT",
	"MaxInFlight": envPrefix + "MAX_CONCURRENT_REQUESTS",
}

// varError names the variable behind a field a part refused (at
// validation, or at open for an unreadable file).
func (c *Config) varError(err error) error {
	var fe *sinks.FieldError
	if !errors.As(err, &fe) {
		return err
	}
	section := map[string]string{"bridge": "Bridge", "nats": "NATS", "kafka": "Kafka", "spool": "Spool"}[fe.Section]
	for _, s := range settingsOf(c) {
		if s.Path == section+"."+fe.Field {
			return fmt.Errorf("%s: %s", s.Var, fe.Problem)
		}
	}
	if v, ok := sharedVars[fe.Field]; ok {
		return fmt.Errorf("%s: %s", v, fe.Problem)
	}
	return err
}

// describeParseError names the variable behind a caarlos0/env error, which
// itself names only the Go field, and says what the value should be in an
// operator's words rather than strconv's.
func describeParseError(err error, vars map[string]string, all []setting) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	// Only fields of other types than string fail to parse, and their names
	// are unique (a test holds them to it).
	for _, s := range all {
		if s.field == pe.Name && s.value.Kind() != reflect.String {
			return fmt.Errorf("%s: %q is not %s", s.Var, vars[s.Var], expected(pe.Type))
		}
	}
	return err
}

// expected describes the values a field of type t takes.
func expected(t reflect.Type) string {
	switch {
	case t == reflect.TypeFor[time.Duration]():
		return "a duration such as 10s, 500ms or 2m"
	case t.Kind() == reflect.Bool:
		return "true or false"
	case t.Kind() >= reflect.Int && t.Kind() <= reflect.Int64:
		return "a whole number"
	case t.Kind() >= reflect.Uint && t.Kind() <= reflect.Uint64:
		return "a whole number, 0 or more"
	}
	return "a valid " + t.String()
}

// MarshalZerologObject logs every setting of the service and of its sink,
// from the same fields `hirebridge config` lists, with secrets masked.
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	other := "Kafka."
	if c.Sink == "kafka" {
		other = "NATS."
	}
	for _, s := range settingsOf(&c) {
		if strings.HasPrefix(s.Path, other) || (c.Sink == "kafka" && strings.HasPrefix(s.Path, "Embedded.")) {
			continue
		}
		e.Str(strings.ToLower(strings.TrimPrefix(s.Var, envPrefix)), s.display())
	}
}
