package kafka_test

import (
	"context"
	"crypto/tls"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/sinktest"
)

func TestSASL(t *testing.T) {
	const user, pass = "bridge", "s3cret-Pa55"
	for _, tc := range []struct {
		mechanism string
		reader    sasl.Mechanism
	}{
		{kafka.MechanismPlain, plain.Auth{User: user, Pass: pass}.AsMechanism()},
		{kafka.MechanismScramSHA256, scram.Auth{User: user, Pass: pass}.AsSha256Mechanism()},
		{kafka.MechanismScramSHA512, scram.Auth{User: user, Pass: pass}.AsSha512Mechanism()},
	} {
		t.Run(tc.mechanism, func(t *testing.T) {
			cluster := kafkatest.Start(t, kfake.EnableSASL(), kfake.Superuser(tc.mechanism, user, pass))
			cluster.ClientOpts = []kgo.Opt{kgo.SASL(tc.reader)}

			if _, err := openOrErr(cluster, kafka.Config{SASL: kafka.SASL{Mechanism: tc.mechanism, Username: user, Password: "wrong"}}); err == nil {
				t.Error("Open succeeded with a wrong password")
			} else {
				t.Logf("wrong password: %v", err)
			}

			s := openSink(t, cluster, kafka.Config{SASL: kafka.SASL{Mechanism: tc.mechanism, Username: user, Password: pass}})
			topic := prefix + ".applicant_applied"
			if _, err := s.Publish(t.Context(), message(topic, "sasl")); err != nil {
				t.Fatalf("publishing: %v", err)
			}
			if recs := cluster.Records(t, topic); len(recs) != 1 {
				t.Fatalf("%d records, want 1", len(recs))
			}
			if err := s.Ready(t.Context()); err != nil {
				t.Errorf("not ready: %v", err)
			}
		})
	}
}

func TestMutualTLS(t *testing.T) {
	pki := sinktest.NewPKI(t)
	cluster := kafkatest.Start(t, kfake.TLS(pki.ServerTLS()))
	cluster.ClientOpts = []kgo.Opt{kgo.DialTLSConfig(&tls.Config{
		RootCAs:      pki.Pool,
		Certificates: []tls.Certificate{pki.Client},
		ServerName:   "127.0.0.1",
	})}

	if _, err := openOrErr(cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CAFile: pki.CAFile}}); err == nil {
		t.Error("Open succeeded without a client certificate")
	} else {
		t.Logf("no client certificate: %v", err)
	}
	if _, err := openOrErr(cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CertFile: pki.CertFile, KeyFile: pki.KeyFile}}); err == nil {
		t.Error("Open succeeded without trusting the broker's CA")
	} else {
		t.Logf("untrusted broker: %v", err)
	}

	s := openSink(t, cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CAFile: pki.CAFile, CertFile: pki.CertFile, KeyFile: pki.KeyFile}})
	topic := prefix + ".job_created"
	if _, err := s.Publish(t.Context(), message(topic, "tls")); err != nil {
		t.Fatalf("publishing over TLS: %v", err)
	}
	if recs := cluster.Records(t, topic); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
}

// openOrErr opens a sink expected to fail, closing it if it did not.
func openOrErr(cluster *kafkatest.Cluster, c kafka.Config) (*kafka.Sink, error) {
	c.Brokers, c.Prefix, c.AckTimeout = []string{cluster.Addr()}, prefix, 3*time.Second
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	s, err := kafka.Open(ctx, c)
	if err == nil {
		s.Close(context.Background())
	}
	return s, err
}
