package kafka_test

import (
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/kafka"
)

func validConfig() kafka.Config {
	return kafka.Config{Brokers: []string{"kafka-0.kafka:9092", "10.0.0.7:9093"}, Prefix: "hirempire", KnownTypes: []string{"job_created"}}
}

func TestValidateAcceptsAWorkingConfig(t *testing.T) {
	for name, mutate := range map[string]func(*kafka.Config){
		"minimal":      func(*kafka.Config) {},
		"scram":        func(c *kafka.Config) { c.SASL = kafka.SASL{Mechanism: "scram-sha-512", Username: "u", Password: "p"} },
		"tls with CA":  func(c *kafka.Config) { c.TLS = kafka.TLS{Enabled: true, CAFile: "ca.pem"} },
		"mutual tls":   func(c *kafka.Config) { c.TLS = kafka.TLS{Enabled: true, CertFile: "c.pem", KeyFile: "k.pem"} },
		"all defaults": func(c *kafka.Config) { c.Partitions, c.ReplicationFactor, c.DedupSize = 0, "", 0 },
		"three copies": func(c *kafka.Config) { c.ReplicationFactor = " 3" },
		"ipv6 broker":  func(c *kafka.Config) { c.Brokers = []string{"[::1]:9092"} },
		// Ignored, so no value of it is wrong: those refused before
		// (negative, past the ack timeout) stop nothing now.
		"batch timeout negative":     func(c *kafka.Config) { c.BatchTimeout = -time.Millisecond },
		"batch timeout past the ack": func(c *kafka.Config) { c.BatchTimeout, c.AckTimeout = time.Minute, time.Second },
	} {
		c := validConfig()
		mutate(&c)
		if err := c.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestValidateNamesTheBadField(t *testing.T) {
	cases := []struct {
		field  string
		mutate func(*kafka.Config)
	}{
		{"Brokers", func(c *kafka.Config) { c.Brokers = nil }},
		{"Brokers", func(c *kafka.Config) { c.Brokers = []string{"kafka:9092", "kafka"} }},
		{"Brokers", func(c *kafka.Config) { c.Brokers = []string{"kafka:http"} }},
		{"Brokers", func(c *kafka.Config) { c.Brokers = []string{":9092"} }},
		{"Prefix", func(c *kafka.Config) { c.Prefix = "" }},
		{"Prefix", func(c *kafka.Config) { c.Prefix = "hire/empire" }},
		{"KnownTypes", func(c *kafka.Config) { c.KnownTypes = []string{"job created"} }},
		{"Partitions", func(c *kafka.Config) { c.Partitions = -1 }},
		{"ReplicationFactor", func(c *kafka.Config) { c.ReplicationFactor = "65536" }},
		{"ReplicationFactor", func(c *kafka.Config) { c.ReplicationFactor = "0" }},
		{"ReplicationFactor", func(c *kafka.Config) { c.ReplicationFactor = "-1" }},
		{"ReplicationFactor", func(c *kafka.Config) { c.ReplicationFactor = "three" }},
		{"AckTimeout", func(c *kafka.Config) { c.AckTimeout = -time.Second }},
		{"MaxInFlight", func(c *kafka.Config) { c.MaxInFlight = -1 }},
		{"DedupSize", func(c *kafka.Config) { c.DedupSize = -1 }},
		{"DedupAge", func(c *kafka.Config) { c.DedupAge = -time.Minute }},
		{"SASL.Mechanism", func(c *kafka.Config) { c.SASL = kafka.SASL{Mechanism: "GSSAPI", Username: "u", Password: "p"} }},
		{"SASL.Mechanism", func(c *kafka.Config) { c.SASL = kafka.SASL{Username: "u", Password: "p"} }},
		{"SASL.Username", func(c *kafka.Config) { c.SASL = kafka.SASL{Mechanism: "PLAIN", Password: "p"} }},
		{"SASL.Password", func(c *kafka.Config) { c.SASL = kafka.SASL{Mechanism: "SCRAM-SHA-256", Username: "u"} }},
		{"TLS.CAFile", func(c *kafka.Config) { c.TLS = kafka.TLS{CAFile: "ca.pem"} }},
		{"TLS.KeyFile", func(c *kafka.Config) { c.TLS = kafka.TLS{Enabled: true, CertFile: "c.pem"} }},
		{"TLS.CertFile", func(c *kafka.Config) { c.TLS = kafka.TLS{Enabled: true, KeyFile: "k.pem"} }},
	}
	for _, tc := range cases {
		c := validConfig()
		tc.mutate(&c)
		err := c.Validate()
		var fe *kafka.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("%s: Validate() = %v, want a *FieldError", tc.field, err)
			continue
		}
		if fe.Field != tc.field {
			t.Errorf("Validate() blames %s (%v), want %s", fe.Field, err, tc.field)
		}
	}
}

func TestOpenRejectsAnInvalidConfig(t *testing.T) {
	c := validConfig()
	c.Brokers = nil
	var fe *kafka.FieldError
	if _, err := kafka.Open(t.Context(), c); !errors.As(err, &fe) || fe.Field != "Brokers" {
		t.Fatalf("Open with no brokers: %v, want a FieldError for Brokers", err)
	}
}

func TestOpenReportsUnreadableCertificates(t *testing.T) {
	c := validConfig()
	c.TLS = kafka.TLS{Enabled: true, CAFile: t.TempDir() + "/missing.pem"}
	var fe *kafka.FieldError
	if _, err := kafka.Open(t.Context(), c); !errors.As(err, &fe) || fe.Field != "TLS.CAFile" {
		t.Fatalf("Open with a missing CA file: %v, want a FieldError for TLS.CAFile", err)
	}
}
