package main

import (
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/schema"
)

const envPrefix = "HIREBRIDGE_"

// maxBodyBytes leaves room for headers under NATS's hard limit on a message
// (its max_pending, 64 MiB); the embedded server refuses to start beyond it.
const maxBodyBytes = 64<<20 - headerAllowance

// Config is every setting, parsed once from HIREBRIDGE_* variables.
type Config struct {
	HTTPAddr      string `env:"HTTP_ADDR" envDefault:":8080"`
	AdminAddr     string `env:"ADMIN_ADDR" envDefault:"127.0.0.1:9090"`
	WebhookPath   string `env:"WEBHOOK_PATH" envDefault:"/webhooks/hirempire"`
	WebhookToken  string `env:"WEBHOOK_TOKEN"`
	MaxBodyBytes  int64  `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	MaxConcurrent int    `env:"MAX_CONCURRENT_REQUESTS" envDefault:"1024"`
	// RequestMemory is the byte budget of all requests in progress: bodies
	// being read and their decoded size.
	RequestMemory int64 `env:"REQUEST_MEMORY_BYTES" envDefault:"33554432"`
	Strict        bool  `env:"STRICT" envDefault:"false"`

	Sink        string `env:"SINK" envDefault:"nats"`
	TopicPrefix string `env:"TOPIC_PREFIX" envDefault:"hirempire"`
	EventSource string `env:"EVENT_SOURCE" envDefault:"https://app.hirempire.com"`
	DataDir     string `env:"DATA_DIR" envDefault:"./data"`

	PublishTimeout    time.Duration `env:"PUBLISH_TIMEOUT" envDefault:"10s"`
	RetryAfter        time.Duration `env:"RETRY_AFTER" envDefault:"5s"`
	ReadHeaderTimeout time.Duration `env:"READ_HEADER_TIMEOUT" envDefault:"5s"`
	ReadTimeout       time.Duration `env:"READ_TIMEOUT" envDefault:"30s"`
	IdleTimeout       time.Duration `env:"IDLE_TIMEOUT" envDefault:"120s"`
	ShutdownDelay     time.Duration `env:"SHUTDOWN_DELAY" envDefault:"0s"`
	ShutdownTimeout   time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`

	LogLevel  string `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat string `env:"LOG_FORMAT" envDefault:"json"`

	NATS  NATSConfig  `envPrefix:"NATS_"`
	Kafka KafkaConfig `envPrefix:"KAFKA_"`

	// tokenGenerated is true when no token was configured and one was drawn
	// at random; only then is it logged.
	tokenGenerated bool
	// ignoredVars are set variables of the sink not chosen, said at start
	// rather than silently ignored.
	ignoredVars []string
	// embeddedAddrSet is true when HIREBRIDGE_NATS_EMBEDDED_ADDR was given:
	// a taken address is then an error rather than a cue to take a free port.
	embeddedAddrSet bool
}

// NATSConfig is the NATS sink's section.
type NATSConfig struct {
	URL            string        `env:"URL"`
	EmbeddedAddr   string        `env:"EMBEDDED_ADDR" envDefault:"127.0.0.1:4222"`
	Stream         string        `env:"STREAM" envDefault:"HIREMPIRE"`
	StreamReplicas int           `env:"STREAM_REPLICAS" envDefault:"1"`
	StreamMaxAge   time.Duration `env:"STREAM_MAX_AGE" envDefault:"0s"`
	// StreamMaxBytes 0 is automatic: half the free space under the data
	// directory for the embedded server, no cap on an external one.
	StreamMaxBytes int64 `env:"STREAM_MAX_BYTES" envDefault:"0"`
	// DuplicateWindow costs JetStream about 150 bytes of memory per event
	// within it: a minute, half of JetStream's own default, keeps it under
	// 100 MB at the highest rate a pod takes.
	DuplicateWindow time.Duration `env:"DUPLICATE_WINDOW" envDefault:"1m"`
	MaxPending      int           `env:"MAX_PENDING" envDefault:"4096"`
	ReconnectWait   time.Duration `env:"RECONNECT_WAIT" envDefault:"2s"`
	CredsFile       string        `env:"CREDS_FILE"`
	NkeySeedFile    string        `env:"NKEY_SEED_FILE"`
	User            string        `env:"USER"`
	Password        string        `env:"PASSWORD"`
	Token           string        `env:"TOKEN"`
	TLSCAFile       string        `env:"TLS_CA_FILE"`
	TLSCertFile     string        `env:"TLS_CERT_FILE"`
	TLSKeyFile      string        `env:"TLS_KEY_FILE"`
}

// KafkaConfig is the Kafka sink's section.
type KafkaConfig struct {
	Brokers           []string      `env:"BROKERS"`
	ClientID          string        `env:"CLIENT_ID" envDefault:"hirebridge"`
	Partitions        int           `env:"PARTITIONS" envDefault:"3"`
	ReplicationFactor int           `env:"REPLICATION_FACTOR" envDefault:"1"`
	BatchTimeout      time.Duration `env:"BATCH_TIMEOUT" envDefault:"2ms"`
	SASLMechanism     string        `env:"SASL_MECHANISM"`
	SASLUsername      string        `env:"SASL_USERNAME"`
	SASLPassword      string        `env:"SASL_PASSWORD"`
	TLS               bool          `env:"TLS" envDefault:"false"`
	KafkaTLSCAFile    string        `env:"TLS_CA_FILE"`
	KafkaTLSCertFile  string        `env:"TLS_CERT_FILE"`
	KafkaTLSKeyFile   string        `env:"TLS_KEY_FILE"`
	DedupWindowSize   int           `env:"DEDUP_WINDOW_SIZE" envDefault:"100000"`
	DedupWindowAge    time.Duration `env:"DEDUP_WINDOW_AGE" envDefault:"10m"`
}

// secretVars may also be given as <NAME>_FILE, the path of a file holding
// the value, as Kubernetes mounts secrets.
var secretVars = []string{
	"WEBHOOK_TOKEN",
	"NATS_PASSWORD",
	"NATS_TOKEN",
	"KAFKA_SASL_PASSWORD",
}

// loadConfig parses and validates the environment. Its errors are one line
// naming the variable at fault.
func loadConfig(environ []string) (Config, error) {
	vars := env.ToMap(environ)
	if err := readSecretFiles(vars); err != nil {
		return Config{}, err
	}
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: vars, Prefix: envPrefix})
	if err != nil {
		return Config{}, describeParseError(err, vars)
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
	if cfg.WebhookToken == "" {
		cfg.WebhookToken = rand.Text()
		cfg.tokenGenerated = true
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, err
	}
	return cfg, nil
}

func readSecretFiles(vars map[string]string) error {
	for _, name := range secretVars {
		key := envPrefix + name
		path, ok := vars[key+"_FILE"]
		if !ok || path == "" {
			continue
		}
		if vars[key] != "" {
			return fmt.Errorf("%s and %s_FILE are both set; set one", key, key)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("%s_FILE: %w", key, err)
		}
		// Editors and kubectl leave a trailing newline that is not part of
		// the secret.
		vars[key] = strings.TrimRight(string(b), "\r\n")
	}
	return nil
}

// Validate checks what the types alone cannot.
func (c *Config) Validate() error {
	var errs []error
	check := func(ok bool, name, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, name, fmt.Sprintf(format, args...)))
		}
	}
	check(c.Sink == "nats" || c.Sink == "kafka", "SINK", "%q is not a sink; use nats or kafka", c.Sink)
	if c.Sink == "kafka" {
		// kafka.Config takes a zero as "use the default"; a variable set to
		// zero is a mistake to report, not a default to apply. The window
		// is what answers a Kafka retry "duplicate": it can be made small,
		// not turned off.
		k := c.Kafka
		check(k.Partitions >= 1, "KAFKA_PARTITIONS", "must be at least 1, got %d", k.Partitions)
		check(k.ReplicationFactor >= 1, "KAFKA_REPLICATION_FACTOR", "must be at least 1, got %d", k.ReplicationFactor)
		check(k.BatchTimeout > 0, "KAFKA_BATCH_TIMEOUT", "must be a positive duration such as 2ms")
		check(k.DedupWindowSize >= 1, "KAFKA_DEDUP_WINDOW_SIZE", "must be at least 1, got %d", k.DedupWindowSize)
		check(k.DedupWindowAge > 0, "KAFKA_DEDUP_WINDOW_AGE", "must be a positive duration such as 10m")
		// Everything else the sink checks itself, named by variable.
		if err := kafkaConfig(*c, zerolog.Nop()).Validate(); err != nil {
			errs = append(errs, kafkaVarError(err))
		}
	}
	check(strings.HasPrefix(c.WebhookPath, "/") && !strings.HasSuffix(c.WebhookPath, "/") &&
		!strings.ContainsAny(c.WebhookPath, "{} ?#"),
		"WEBHOOK_PATH", "%q must start with / and not end with /, without {, }, spaces, ? or #", c.WebhookPath)
	check(len(c.WebhookToken) >= 16, "WEBHOOK_TOKEN", "must be at least 16 characters")
	check(!strings.ContainsAny(c.WebhookToken, "/?#& "), "WEBHOOK_TOKEN", "must not contain /, ?, #, & or spaces, since it goes in a URL")
	check(c.MaxBodyBytes > 0, "MAX_BODY_BYTES", "must be positive, got %d", c.MaxBodyBytes)
	check(c.MaxBodyBytes <= maxBodyBytes, "MAX_BODY_BYTES", "must be at most %d, got %d", maxBodyBytes, c.MaxBodyBytes)
	check(c.MaxConcurrent > 0, "MAX_CONCURRENT_REQUESTS", "must be positive, got %d", c.MaxConcurrent)
	// Reading a body at the limit takes up to twice its size as the buffer
	// doubles, and decoding it more: below four times, bodies near the
	// limit could never be served.
	check(c.RequestMemory >= 4*c.MaxBodyBytes, "REQUEST_MEMORY_BYTES",
		"must be at least 4 times HIREBRIDGE_MAX_BODY_BYTES (%d), got %d", 4*c.MaxBodyBytes, c.RequestMemory)
	check(validPrefix(c.TopicPrefix), "TOPIC_PREFIX", "%q must be dot-separated tokens of lowercase letters, digits, '_' and '-'", c.TopicPrefix)
	check(c.EventSource != "", "EVENT_SOURCE", "must not be empty")
	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"PUBLISH_TIMEOUT", c.PublishTimeout}, {"RETRY_AFTER", c.RetryAfter},
		{"READ_HEADER_TIMEOUT", c.ReadHeaderTimeout}, {"READ_TIMEOUT", c.ReadTimeout},
		{"IDLE_TIMEOUT", c.IdleTimeout}, {"SHUTDOWN_TIMEOUT", c.ShutdownTimeout},
		{"NATS_RECONNECT_WAIT", c.NATS.ReconnectWait}, {"NATS_DUPLICATE_WINDOW", c.NATS.DuplicateWindow},
	} {
		check(d.v > 0, d.name, "must be a positive duration such as 10s, got %s", d.v)
	}
	check(c.ShutdownDelay >= 0, "SHUTDOWN_DELAY", "must not be negative")
	// Retry-After carries whole seconds; 1500ms would be sent as 2.
	check(c.RetryAfter%time.Second == 0, "RETRY_AFTER", "must be whole seconds such as 5s, got %s", c.RetryAfter)
	check(c.NATS.StreamMaxAge >= 0, "NATS_STREAM_MAX_AGE", "must not be negative (0 keeps events until removed)")
	check(c.NATS.StreamMaxBytes >= -1, "NATS_STREAM_MAX_BYTES", "must be a number of bytes, 0 (automatic) or -1 (no cap), got %d", c.NATS.StreamMaxBytes)
	_, err := zerolog.ParseLevel(c.LogLevel)
	check(err == nil && c.LogLevel != "", "LOG_LEVEL", "%q is not one of trace, debug, info, warn, error", c.LogLevel)
	check(c.LogFormat == "json" || c.LogFormat == "console", "LOG_FORMAT", "%q is not json or console", c.LogFormat)
	check(c.NATS.Stream != "" && !strings.ContainsAny(c.NATS.Stream, ".*> \t"), "NATS_STREAM", "%q must be a name without '.', '*', '>' or spaces", c.NATS.Stream)
	check(c.NATS.StreamReplicas >= 1 && c.NATS.StreamReplicas <= 5, "NATS_STREAM_REPLICAS", "must be 1 to 5, got %d", c.NATS.StreamReplicas)
	check(c.NATS.MaxPending > 0, "NATS_MAX_PENDING", "must be positive, got %d", c.NATS.MaxPending)
	check((c.NATS.TLSCertFile == "") == (c.NATS.TLSKeyFile == ""), "NATS_TLS_CERT_FILE", "and HIREBRIDGE_NATS_TLS_KEY_FILE must be set together")
	// Only the first is reported: the SPEC asks for one line.
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func validPrefix(p string) bool {
	if p == "" {
		return false
	}
	for _, tok := range strings.Split(p, ".") {
		name, ok := schema.NormalizeName(tok)
		if !ok || name != tok || strings.Contains(tok, ".") {
			return false
		}
	}
	return true
}

// describeParseError names the variable behind a caarlos0/env error, which
// itself names only the Go field, and says what the value should be in an
// operator's words rather than strconv's.
func describeParseError(err error, vars map[string]string) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if !errors.As(err, &pe) {
		return err
	}
	key, ok := fieldVars()[pe.Name]
	if !ok {
		return err
	}
	return fmt.Errorf("%s: %q is not %s", key, vars[key], expected(pe.Type))
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

// fieldVars maps each Config field name to its variable. Field names are
// unique across sections, which the config test checks.
func fieldVars() map[string]string {
	out := map[string]string{}
	var walk func(t reflect.Type, prefix string)
	walk = func(t reflect.Type, prefix string) {
		for i := range t.NumField() {
			f := t.Field(i)
			if p, ok := f.Tag.Lookup("envPrefix"); ok {
				walk(f.Type, prefix+p)
				continue
			}
			if name, _, _ := strings.Cut(f.Tag.Get("env"), ","); name != "" {
				out[f.Name] = prefix + name
			}
		}
	}
	walk(reflect.TypeFor[Config](), envPrefix)
	return out
}

// MarshalZerologObject logs the configuration with secrets masked.
func (c Config) MarshalZerologObject(e *zerolog.Event) {
	e.Str("sink", c.Sink).
		Str("http_addr", c.HTTPAddr).
		Str("admin_addr", c.AdminAddr).
		Str("webhook_path", c.WebhookPath).
		Str("topic_prefix", c.TopicPrefix).
		Int64("max_body_bytes", c.MaxBodyBytes).
		Int("max_concurrent_requests", c.MaxConcurrent).
		Int64("request_memory_bytes", c.RequestMemory).
		Bool("strict", c.Strict).
		Str("publish_timeout", c.PublishTimeout.String()).
		Str("retry_after", c.RetryAfter.String()).
		Str("read_timeout", c.ReadTimeout.String())
	if c.Sink == "nats" {
		e.Str("nats_url", redactURLs(c.NATS.URL)).
			Str("nats_stream", c.NATS.Stream).
			Bool("nats_auth", c.NATS.CredsFile != "" || c.NATS.NkeySeedFile != "" || c.NATS.User != "" || c.NATS.Token != "").
			Bool("nats_tls", c.NATS.TLSCAFile != "" || c.NATS.TLSCertFile != "")
	}
	if c.Sink == "kafka" {
		e.Strs("kafka_brokers", c.Kafka.Brokers).
			Str("kafka_sasl_mechanism", c.Kafka.SASLMechanism).
			Bool("kafka_tls", c.Kafka.TLS)
	}
}

// redactURLs hides user info in comma-separated URLs.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			if scheme := strings.Index(p, "://"); scheme >= 0 && scheme < at {
				parts[i] = p[:scheme+3] + "REDACTED" + p[at:]
			}
		}
	}
	return strings.Join(parts, ",")
}
