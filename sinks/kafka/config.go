package kafka

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Config says which brokers to publish to, how to authenticate, and how the
// bridge's own topics are made. The env tags name each setting's variable
// (under the binary's prefix for this sink) and hold its default, the one
// place defaults are written: zero values take them.
type Config struct {
	// Brokers are the bootstrap brokers, host:port each. Required.
	Brokers []string `env:"BROKERS"`
	// ClientID names the bridge in broker logs and quotas.
	ClientID string `env:"CLIENT_ID" envDefault:"hirebridge"`

	// Prefix is the topic prefix: events go to <Prefix>.<event>, rejected
	// bodies to <Prefix>.dlq. Required.
	Prefix string
	// KnownTypes are the event types whose topics Open creates when missing;
	// topics of other types are created on first use.
	KnownTypes []string
	// Partitions and ReplicationFactor apply to topics the bridge creates;
	// existing topics are used as they are. Partitions are for consumers'
	// parallelism, which is the bridge's to offer (Kafka's own num.partitions
	// is 1); copies are for durability, which is the cluster's to decide.
	Partitions int `env:"PARTITIONS" envDefault:"3"`
	// ReplicationFactor is the number of copies of each partition, a whole
	// number from 1, or empty for the cluster's own default
	// (default.replication.factor), as Kafka's tools do when none is given
	// (replication.go). It is text so that empty and "0" differ: "0" is
	// refused, as an explicit zero is for every other count.
	ReplicationFactor string `env:"REPLICATION_FACTOR"`
	// CreateTopics is "true" (or empty, as the zero Config has it) for
	// topics created when missing, as the bridge always did, or "false"
	// for clusters whose operators create every topic: the bridge then
	// publishes to existing topics only, and refuses for good an event
	// whose topic is missing (creation.go). Text, so that the zero Config
	// keeps creating.
	CreateTopics string `env:"CREATE_TOPICS" envDefault:"true"`

	// BatchTimeout was the longest a record waited for its batch to
	// fill. Records wait on no timer now: a record for a partition with
	// no produce request in flight is sent at once, and those arriving
	// while one is share the next (producer.go); waiting for a batch to
	// fill made every record wait (docs/performance.md).
	//
	// Deprecated: ignored, whatever its value. The binary still reads
	// HIREBRIDGE_KAFKA_BATCH_TIMEOUT and warns that it does nothing
	// (internal/config).
	BatchTimeout time.Duration
	// Compression of produce batches: none, gzip, snappy, lz4 or zstd.
	// Events are JSON, which compresses well; the broker stores batches
	// as they come, so it saves disk and network both.
	Compression string `env:"COMPRESSION" envDefault:"none"`
	// AckTimeout is the publish timeout: the longest one produce request
	// waits for its answer (the request is not cancelled when its caller
	// stops waiting), and the time within which a failure that stored
	// nothing is retried; default 10s.
	AckTimeout time.Duration
	// MaxInFlight bounds records handed to the client and not yet acked or
	// failed, including those whose caller gave up; default 256.
	MaxInFlight int

	// DedupSize and DedupAge bound the window of event ids remembered as
	// stored, or as awaiting a read-back, so that a retry writes no second
	// record. An id costs about 125 bytes of heap (BenchmarkWindowMemory).
	DedupSize int           `env:"DEDUP_WINDOW_SIZE" envDefault:"100000"`
	DedupAge  time.Duration `env:"DEDUP_WINDOW_AGE" envDefault:"10m"`

	SASL SASL
	TLS  TLS

	// Log receives the client's errors (broker, topic, partition; never
	// record contents). The zero value discards them.
	Log zerolog.Logger
}

// SASL selects at most one mechanism; the password is already resolved from
// its file.
type SASL struct {
	// Mechanism is "", "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512" (any
	// case).
	Mechanism string `env:"SASL_MECHANISM"`
	Username  string `env:"SASL_USERNAME"`
	Password  string `env:"SASL_PASSWORD" secret:"true"`
}

// TLS configures the client side of TLS to the brokers.
type TLS struct {
	Enabled bool `env:"TLS" envDefault:"false"`
	// CAFile verifies the brokers instead of the system roots.
	CAFile string `env:"TLS_CA_FILE"`
	// CertFile and KeyFile are the client certificate, both or neither.
	CertFile string `env:"TLS_CERT_FILE"`
	KeyFile  string `env:"TLS_KEY_FILE"`
}

// Defaults of the fields the binary sets from its own settings (the
// publish timeout, the concurrent requests), for other callers.
const (
	DefaultAckTimeout  = 10 * time.Second
	DefaultMaxInFlight = 256
)

// defaults is the Config of the env tags' defaults.
var defaults = func() Config {
	c, err := env.ParseAsWithOptions[Config](env.Options{Environment: map[string]string{}})
	if err != nil {
		panic("kafka: the defaults in Config's tags do not parse: " + err.Error())
	}
	return c
}()

// SASL mechanism names as Kafka spells them.
const (
	MechanismPlain       = "PLAIN"
	MechanismScramSHA256 = "SCRAM-SHA-256"
	MechanismScramSHA512 = "SCRAM-SHA-512"
)

// FieldError names the Config field that is wrong, so the binary can name
// the environment variable it came from.
type FieldError = sinks.FieldError

func fieldErr(field, format string, args ...any) error {
	return sinks.FieldErrorf("kafka", field, format, args...)
}

// maxTopicLen is Kafka's limit on topic names.
const maxTopicLen = 249

// Validate reports the first field that cannot work, as a *FieldError. It
// reads no files: Open reports unreadable certificates.
func (c Config) Validate() error {
	if len(c.Brokers) == 0 {
		return fieldErr("Brokers", "at least one host:port is required")
	}
	for _, b := range c.Brokers {
		if err := checkHostPort(b); err != nil {
			return fieldErr("Brokers", "%q: %v", b, err)
		}
	}
	if c.Prefix == "" {
		return fieldErr("Prefix", "is required")
	}
	if err := checkTopic(events.DeadLetterSubject(c.Prefix)); err != nil {
		return fieldErr("Prefix", "%q does not make a Kafka topic name: %v", c.Prefix, err)
	}
	for _, t := range c.KnownTypes {
		if err := checkTopic(events.Subject(c.Prefix, t)); err != nil {
			return fieldErr("KnownTypes", "%q does not make a Kafka topic name: %v", t, err)
		}
	}
	if c.Partitions < 0 || c.Partitions > 1<<20 {
		return fieldErr("Partitions", "%d is not between 1 and %d", c.Partitions, 1<<20)
	}
	if _, err := c.replicationFactor(); err != nil {
		return err
	}
	if _, err := c.createsTopics(); err != nil {
		return err
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"AckTimeout", c.AckTimeout}, {"DedupAge", c.DedupAge}} {
		if d.v < 0 {
			return fieldErr(d.name, "%s is negative", d.v)
		}
	}
	if c.MaxInFlight < 0 {
		return fieldErr("MaxInFlight", "%d is negative", c.MaxInFlight)
	}
	if c.DedupSize < 0 {
		return fieldErr("DedupSize", "%d is negative", c.DedupSize)
	}
	if _, err := compression(c.Compression); err != nil {
		return err
	}
	if err := c.SASL.validate(); err != nil {
		return err
	}
	return c.TLS.validate()
}

// compression maps a codec's name to kafka-go's; "" is none, as the zero
// Config has it.
func compression(name string) (kafkago.Compression, error) {
	switch strings.ToLower(name) {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafkago.Gzip, nil
	case "snappy":
		return kafkago.Snappy, nil
	case "lz4":
		return kafkago.Lz4, nil
	case "zstd":
		return kafkago.Zstd, nil
	}
	return 0, fieldErr("Compression", "%q is not none, gzip, snappy, lz4 or zstd", name)
}

func (s SASL) validate() error {
	switch strings.ToUpper(s.Mechanism) {
	case "":
		if s.Username != "" || s.Password != "" {
			return fieldErr("SASL.Mechanism", "a username or password is set but no mechanism (PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512)")
		}
		return nil
	case MechanismPlain, MechanismScramSHA256, MechanismScramSHA512:
	default:
		return fieldErr("SASL.Mechanism", "%q is not PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
	}
	if s.Username == "" {
		return fieldErr("SASL.Username", "is required with mechanism %s", s.Mechanism)
	}
	if s.Password == "" {
		return fieldErr("SASL.Password", "is required with mechanism %s", s.Mechanism)
	}
	return nil
}

func (t TLS) validate() error {
	if !t.Enabled {
		for _, f := range []struct{ name, v string }{{"TLS.CAFile", t.CAFile}, {"TLS.CertFile", t.CertFile}, {"TLS.KeyFile", t.KeyFile}} {
			if f.v != "" {
				return fieldErr(f.name, "is set but TLS is not enabled")
			}
		}
		return nil
	}
	if (t.CertFile == "") != (t.KeyFile == "") {
		if t.CertFile == "" {
			return fieldErr("TLS.CertFile", "is required with TLS.KeyFile")
		}
		return fieldErr("TLS.KeyFile", "is required with TLS.CertFile")
	}
	return nil
}

func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return err
	}
	if host == "" {
		return errors.New("missing host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}

// checkTopic applies Kafka's rule for topic names.
func checkTopic(t string) error {
	if len(t) > maxTopicLen {
		return fmt.Errorf("longer than %d characters", maxTopicLen)
	}
	if t == "." || t == ".." {
		return errors.New("reserved name")
	}
	for _, r := range t {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
		default:
			return fmt.Errorf("character %q is not allowed (only letters, digits, '.', '_' and '-')", r)
		}
	}
	return nil
}

// withDefaults fills zero fields.
func (c Config) withDefaults() Config {
	if c.ClientID == "" {
		c.ClientID = defaults.ClientID
	}
	if c.Partitions == 0 {
		c.Partitions = defaults.Partitions
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.DedupSize == 0 {
		c.DedupSize = defaults.DedupSize
	}
	if c.DedupAge == 0 {
		c.DedupAge = defaults.DedupAge
	}
	return c
}

func (s SASL) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(s.Mechanism) {
	case "":
		return nil, nil
	case MechanismPlain:
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case MechanismScramSHA256:
		return scram.Mechanism(scram.SHA256, s.Username, s.Password)
	case MechanismScramSHA512:
		return scram.Mechanism(scram.SHA512, s.Username, s.Password)
	}
	return nil, fieldErr("SASL.Mechanism", "%q is not supported", s.Mechanism)
}

func (t TLS) config() (*tls.Config, error) {
	if !t.Enabled {
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fieldErr("TLS.CAFile", "%v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fieldErr("TLS.CAFile", "%s holds no PEM certificate", t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fieldErr("TLS.CertFile", "loading the client certificate: %v", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}
