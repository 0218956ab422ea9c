package kafka_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
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
	pki := newPKI(t)
	cluster := kafkatest.Start(t, kfake.TLS(&tls.Config{
		Certificates: []tls.Certificate{pki.server},
		ClientCAs:    pki.pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}))
	cluster.ClientOpts = []kgo.Opt{kgo.DialTLSConfig(&tls.Config{
		RootCAs:      pki.pool,
		Certificates: []tls.Certificate{pki.client},
		ServerName:   "127.0.0.1",
	})}

	if _, err := openOrErr(cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CAFile: pki.caFile}}); err == nil {
		t.Error("Open succeeded without a client certificate")
	} else {
		t.Logf("no client certificate: %v", err)
	}
	if _, err := openOrErr(cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CertFile: pki.certFile, KeyFile: pki.keyFile}}); err == nil {
		t.Error("Open succeeded without trusting the broker's CA")
	} else {
		t.Logf("untrusted broker: %v", err)
	}

	s := openSink(t, cluster, kafka.Config{TLS: kafka.TLS{Enabled: true, CAFile: pki.caFile, CertFile: pki.certFile, KeyFile: pki.keyFile}})
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

type pki struct {
	pool                      *x509.CertPool
	server, client            tls.Certificate
	caFile, certFile, keyFile string
}

// newPKI makes a CA, a server certificate for 127.0.0.1 and a client
// certificate, and writes the CA and the client's pair as PEM files.
func newPKI(t *testing.T) *pki {
	t.Helper()
	dir := t.TempDir()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hirebridge test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &pki{pool: x509.NewCertPool(), caFile: filepath.Join(dir, "ca.pem")}
	p.pool.AddCert(ca)
	writePEM(t, p.caFile, "CERTIFICATE", caDER)

	leaf := func(serial int64, usage x509.ExtKeyUsage, ips []net.IP) (tls.Certificate, []byte, []byte) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: "hirebridge test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
			IPAddresses:  ips,
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, der, keyDER
	}
	p.server, _, _ = leaf(2, x509.ExtKeyUsageServerAuth, []net.IP{net.IPv4(127, 0, 0, 1)})
	var certDER, keyDER []byte
	p.client, certDER, keyDER = leaf(3, x509.ExtKeyUsageClientAuth, nil)
	p.certFile, p.keyFile = filepath.Join(dir, "client.pem"), filepath.Join(dir, "client-key.pem")
	writePEM(t, p.certFile, "CERTIFICATE", certDER)
	writePEM(t, p.keyFile, "EC PRIVATE KEY", keyDER)
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
}
