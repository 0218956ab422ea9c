package natsjs_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/sinktest"
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
	pki := sinktest.NewPKI(t)
	caFile, certFile, keyFile := pki.CAFile, pki.CertFile, pki.KeyFile
	opts := jetStreamOptions(t)
	opts.TLS, opts.TLSVerify = true, true
	opts.TLSTimeout = 5
	opts.TLSConfig = pki.ServerTLS()
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
