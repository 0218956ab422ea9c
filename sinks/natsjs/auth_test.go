package natsjs_test

import (
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
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

func jetStreamOptions(t *testing.T) *server.Options {
	return &server.Options{
		Host:      "127.0.0.1",
		Port:      server.RANDOM_PORT,
		JetStream: true,
		StoreDir:  t.TempDir(),
		NoSigs:    true,
		NoLog:     true,
	}
}

// openAndPublish proves a configuration reaches JetStream: Open creates the
// stream and a publish is acknowledged.
func openAndPublish(t *testing.T, c natsjs.Config) {
	t.Helper()
	s := open(t, c)
	if _, err := s.Publish(ctxFor(t, 10*time.Second), event("auth-1", "job_added")); err != nil {
		t.Fatalf("Publish: %v", err)
	}
}

func TestAuthUserPassword(t *testing.T) {
	opts := jetStreamOptions(t)
	opts.Username, opts.Password = "bridge", "s3cret-pass"
	url := startServer(t, opts)

	c := config(url)
	c.Auth = natsjs.Auth{User: "bridge", Password: "s3cret-pass"}
	openAndPublish(t, c)

	c.Auth.Password = "wrong"
	if _, err := natsjs.Open(ctxFor(t, 10*time.Second), c); err == nil || !strings.Contains(strings.ToLower(err.Error()), "authorization") {
		t.Errorf("Open with a wrong password = %v, want an authorization error", err)
	}
}

func TestAuthToken(t *testing.T) {
	opts := jetStreamOptions(t)
	opts.Authorization = "tok-0123456789"
	url := startServer(t, opts)

	c := config(url)
	c.Auth = natsjs.Auth{Token: "tok-0123456789"}
	openAndPublish(t, c)

	c.Auth.Token = ""
	if _, err := natsjs.Open(ctxFor(t, 10*time.Second), c); err == nil {
		t.Error("Open without the token succeeded")
	}
}

func TestAuthNkeySeedFileMissing(t *testing.T) {
	c := config("nats://127.0.0.1:1")
	c.Auth = natsjs.Auth{NkeySeedFile: filepath.Join(t.TempDir(), "absent.nk")}
	_, err := natsjs.Open(ctxFor(t, 10*time.Second), c)
	if err == nil || !strings.Contains(err.Error(), "nkey seed") {
		t.Errorf("Open with a missing seed file = %v, want an error about the nkey seed", err)
	}
}

// TestTLS runs a server that requires client certificates: the CA file lets
// the sink trust the server, the certificate pair lets the server trust it.
func TestTLS(t *testing.T) {
	dir := t.TempDir()
	ca := newCA(t)
	serverCert := ca.issue(t, "nats-server", true)
	clientCert := ca.issue(t, "hirebridge", false)
	caFile := writePEM(t, dir, "ca.pem", "CERTIFICATE", ca.cert.Raw)
	certFile := writePEM(t, dir, "client.pem", "CERTIFICATE", clientCert.Certificate[0])
	keyDER, err := x509.MarshalPKCS8PrivateKey(clientCert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writePEM(t, dir, "client-key.pem", "PRIVATE KEY", keyDER)

	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	opts := jetStreamOptions(t)
	opts.TLS, opts.TLSVerify = true, true
	opts.TLSTimeout = 5
	opts.TLSConfig = &tls.Config{
		Certificates: []tls.Certificate{serverCert},
		ClientCAs:    pool,
		ClientAuth:   tls.RequireAndVerifyClientCert,
		MinVersion:   tls.VersionTLS12,
	}
	url := strings.Replace(startServer(t, opts), "nats://", "tls://", 1)

	c := config(url)
	c.TLS = natsjs.TLS{CAFile: caFile, CertFile: certFile, KeyFile: keyFile}
	openAndPublish(t, c)

	t.Run("without client certificate", func(t *testing.T) {
		c := config(url)
		c.TLS = natsjs.TLS{CAFile: caFile}
		if _, err := natsjs.Open(ctxFor(t, 10*time.Second), c); err == nil {
			t.Error("Open without a client certificate succeeded")
		}
	})
	t.Run("without CA", func(t *testing.T) {
		c := config(url)
		c.TLS = natsjs.TLS{CertFile: certFile, KeyFile: keyFile}
		if _, err := natsjs.Open(ctxFor(t, 10*time.Second), c); err == nil {
			t.Error("Open trusting the system roots only succeeded against a private CA")
		}
	})
}

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T) testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "hirebridge test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return testCA{cert: cert, key: key}
}

func (ca testCA) issue(t *testing.T, name string, isServer bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if isServer {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.DNSNames = []string{"localhost"}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func writePEM(t *testing.T, dir, name, kind string, der []byte) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
