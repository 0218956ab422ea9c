package natsjs_test

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

const deniedTopic = testPrefix + ".forbidden_event"

// permissionsConf is a server whose user bridge may publish to the
// bridge's subjects and the JetStream API, except the subjects in deny.
func permissionsConf(storeDir string, deny ...string) string {
	denied := "[]"
	if len(deny) > 0 {
		denied = `["` + strings.Join(deny, `", "`) + `"]`
	}
	return fmt.Sprintf(`
listen: "127.0.0.1:-1"
jetstream { store_dir: %q }
accounts {
  APP {
    jetstream: enabled
    users: [{
      user: bridge, password: s3cret
      permissions: {
        publish: { allow: ["hirempire.>", "$JS.API.>", "_INBOX.>"], deny: %s }
      }
    }]
  }
}
`, storeDir, denied)
}

// startWithConf runs a server from a configuration file, as an operator
// would, so a test can change the file and reload it.
func startWithConf(t *testing.T, conf string) (*server.Server, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatalf("nats-server configuration: %v", err)
	}
	opts.NoSigs, opts.NoLog = true, true
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatalf("nats-server: %v", err)
	}
	srv.Start()
	t.Cleanup(func() {
		srv.Shutdown()
		srv.WaitForShutdown()
	})
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	return srv, path
}

// deniedConfig connects as bridge with an ack timeout far beyond what a
// refusal may take, so an answer within it cannot be the timeout.
func deniedConfig(url string) natsjs.Config {
	c := config(url)
	c.Auth = natsjs.Auth{User: "bridge", Password: "s3cret"}
	c.AckTimeout = 10 * time.Second
	return c
}

// refusedPromptly is how long a publish to a denied subject may take: the
// server's -ERR takes a round trip, not an ack timeout.
const refusedPromptly = 2 * time.Second

func TestPublishDeniedSubjectRefused(t *testing.T) {
	srv, _ := startWithConf(t, permissionsConf(t.TempDir(), deniedTopic))
	s := open(t, deniedConfig(srv.ClientURL()))

	publishOK := func(id string) {
		t.Helper()
		if _, err := s.Publish(ctxFor(t, 10*time.Second), event(id, "job_added")); err != nil {
			t.Fatalf("publish %s to a permitted subject: %v", id, err)
		}
	}
	publishDenied := func(id string) {
		t.Helper()
		start := time.Now()
		_, err := s.Publish(ctxFor(t, 30*time.Second), event(id, "forbidden_event"))
		took := time.Since(start)
		t.Logf("publish %s to the denied subject: %s: %v", id, took.Round(time.Millisecond), err)
		if !errors.Is(err, sinks.ErrRefused) || errors.Is(err, sinks.ErrUnavailable) {
			t.Fatalf("publish to a denied subject = %v, want ErrRefused only", err)
		}
		if want := `Permissions Violation for Publish to "` + deniedTopic + `"`; !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not carry the server's words %q", err, want)
		}
		if took > refusedPromptly {
			t.Errorf("the refusal took %s; it must not wait for the ack timeout", took)
		}
	}

	publishOK("before")
	publishDenied("denied-1")
	publishOK("between")
	// Each publish is sent again and refused by the server, not by a
	// memory of the first refusal.
	publishDenied("denied-2")
	publishOK("after")
	if err := ready(t, s); err != nil {
		t.Errorf("Ready after refusals = %v, want nil: a refused subject is no stream fault", err)
	}

	// Publishes to permitted subjects run alongside refused ones, each
	// answered for itself.
	var wg sync.WaitGroup
	var slowestMu sync.Mutex
	var slowest time.Duration
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Go(func() {
			if i%10 == 0 {
				start := time.Now()
				_, err := s.Publish(ctxFor(t, 30*time.Second), event(fmt.Sprintf("denied-c%d", i), "forbidden_event"))
				took := time.Since(start)
				slowestMu.Lock()
				slowest = max(slowest, took)
				slowestMu.Unlock()
				if !errors.Is(err, sinks.ErrRefused) {
					errs <- fmt.Errorf("concurrent denied publish %d = %v, want ErrRefused", i, err)
				} else if took > refusedPromptly {
					errs <- fmt.Errorf("concurrent denied publish %d took %s", i, took)
				}
				return
			}
			if _, err := s.Publish(ctxFor(t, 30*time.Second), event(fmt.Sprintf("ok-c%d", i), "job_added")); err != nil {
				errs <- fmt.Errorf("concurrent permitted publish %d: %w", i, err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	t.Logf("the slowest of 20 denied publishes among 180 permitted ones took %s", slowest.Round(time.Millisecond))

	// Past the time that publishes without an ack take the stream for
	// stalled: the refused ones left nothing waiting.
	time.Sleep(3 * time.Second)
	if err := ready(t, s); err != nil {
		t.Errorf("Ready a while after the refusals = %v, want nil", err)
	}
	publishOK("last")

	js := inspect(t, srv.ClientURL(), natsUser("bridge", "s3cret"))
	stored := storedMsgs(t, js, testStream)
	if want := 4 + 180; len(stored) != want {
		t.Errorf("the stream holds %d messages, want %d", len(stored), want)
	}
	for _, m := range stored {
		if m.Subject == deniedTopic {
			t.Errorf("the stream holds a message on the denied subject")
		}
	}
}

// A subject the operator allows again is published to from the next
// publish on: a denial is never remembered against a later publish.
func TestPublishDeniedSubjectAllowedAgain(t *testing.T) {
	storeDir := t.TempDir()
	srv, path := startWithConf(t, permissionsConf(storeDir, deniedTopic))
	s := open(t, deniedConfig(srv.ClientURL()))

	if _, err := s.Publish(ctxFor(t, 30*time.Second), event("while-denied", "forbidden_event")); !errors.Is(err, sinks.ErrRefused) {
		t.Fatalf("publish to the denied subject = %v, want ErrRefused", err)
	}

	if err := os.WriteFile(path, []byte(permissionsConf(storeDir)), 0o600); err != nil {
		t.Fatal(err)
	}
	opts, err := server.ProcessConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opts.NoSigs, opts.NoLog = true, true
	opts.Port = srv.Addr().(*net.TCPAddr).Port
	if err := srv.ReloadOptions(opts); err != nil {
		t.Fatalf("reloading the server with the subject allowed: %v", err)
	}

	ack, err := s.Publish(ctxFor(t, 10*time.Second), event("allowed-again", "forbidden_event"))
	if err != nil || ack.Duplicate {
		t.Fatalf("publish once the subject is allowed = %+v, %v", ack, err)
	}
	js := inspect(t, srv.ClientURL(), natsUser("bridge", "s3cret"))
	if stored := storedMsgs(t, js, testStream); len(stored) != 1 || stored[0].Subject != deniedTopic {
		t.Errorf("the stream holds %d messages, want the one published once allowed", len(stored))
	}
}

// natsUser is the inspecting client's credentials.
func natsUser(user, password string) nats.Option { return nats.UserInfo(user, password) }

// An existing stream is used as it is, with its max_msg_size: a larger
// message is too large for good, not an outage, and smaller ones still
// pass.
func TestPublishOverStreamMaxMsgSize(t *testing.T) {
	srv := natstest.Start(t)
	js := inspect(t, srv.URL())
	const maxMsgSize = 512
	if _, err := js.CreateStream(ctxFor(t, 10*time.Second), jetstream.StreamConfig{
		Name:       testStream,
		Subjects:   []string{testPrefix + ".>"},
		MaxMsgSize: maxMsgSize,
	}); err != nil {
		t.Fatal(err)
	}
	s := open(t, config(srv.URL()))

	big := event("big", "job_added")
	big.Body = bytes.Repeat([]byte("x"), 2*maxMsgSize)
	start := time.Now()
	_, err := s.Publish(ctxFor(t, 10*time.Second), big)
	t.Logf("publish of %d bytes: %s: %v", len(big.Body), time.Since(start).Round(time.Millisecond), err)
	if !errors.Is(err, sinks.ErrTooLarge) || errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("publish over max_msg_size = %v, want ErrTooLarge only", err)
	}
	var apiErr *jetstream.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode != 10054 || apiErr.Description != "message size exceeds maximum allowed" {
		t.Errorf("the error %v does not carry the server's answer (err_code 10054)", err)
	}
	if !strings.Contains(err.Error(), "err_code=10054") || !strings.Contains(err.Error(), "message size exceeds maximum allowed") {
		t.Errorf("the error text %q does not show the server's words", err)
	}

	for i := range 3 {
		if _, err := s.Publish(ctxFor(t, 10*time.Second), event(fmt.Sprintf("small-%d", i), "job_added")); err != nil {
			t.Fatalf("publish of a small message after the refusal: %v", err)
		}
	}
	if err := ready(t, s); err != nil {
		t.Errorf("Ready after a too-large refusal = %v, want nil", err)
	}
	if n := len(storedMsgs(t, js, testStream)); n != 3 {
		t.Errorf("the stream holds %d messages, want the 3 small ones", n)
	}
}
