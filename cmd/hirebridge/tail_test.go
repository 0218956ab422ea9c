package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// tailing is `hirebridge tail` running in process, its lines decoded.
type tailing struct {
	lines chan tailRecord
	stop  context.CancelFunc
	done  chan error
}

func startTail(t *testing.T, args, environ []string) *tailing {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	tl := &tailing{lines: make(chan tailRecord, 16), stop: cancel, done: make(chan error, 1)}
	go func() {
		err := run(ctx, append([]string{"tail"}, args...), environ, pw)
		pw.Close()
		tl.done <- err
	}()
	go func() {
		defer close(tl.lines)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			var rec tailRecord
			if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
				t.Errorf("tail printed a line that is not JSON: %q", sc.Text())
				continue
			}
			tl.lines <- rec
		}
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-tl.done:
			if err != nil {
				t.Errorf("tail returned %v after cancel, want nil", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("tail did not stop within 10s of cancel")
		}
	})
	return tl
}

func (tl *tailing) next(t *testing.T) tailRecord {
	t.Helper()
	select {
	case rec, ok := <-tl.lines:
		if !ok {
			t.Fatal("tail stopped printing")
		}
		return rec
	case err := <-tl.done:
		t.Fatalf("tail ended: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("tail printed nothing within 10s")
	}
	return tailRecord{}
}

func TestTail(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	before := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if before.Status != http.StatusOK {
		t.Fatalf("POST: %d %s", before.Status, before.Raw)
	}

	tl := startTail(t, []string{"-server", broker.URL(), "-all"}, nil)
	rec := tl.next(t)
	if rec.Subject != "hirempire.job_added" || rec.Headers["ce-id"] != before.Body.ID ||
		rec.Headers["content-type"] != "application/json" || rec.Raw != "" {
		t.Errorf("first line: %+v", rec)
	}
	if got, want := decodeObject(t, rec.Data), wantBody(t, example(t, "job_added.json")); got["job"].(map[string]any)["id"] != want["job"].(map[string]any)["id"] {
		t.Errorf("first line's data: %s", rec.Data)
	}

	// New events arrive while tail runs; a dead letter, which need not be
	// JSON, is shown raw.
	after := mustPost(t, svc.webhookURL(), example(t, "meeting_booked.json"))
	rec = tl.next(t)
	if rec.Subject != "hirempire.meeting_booked" || rec.Headers["ce-id"] != after.Body.ID {
		t.Errorf("second line: %+v", rec)
	}
	if r := mustPost(t, svc.webhookURL(), []byte("not json")); r.Status != http.StatusBadRequest {
		t.Fatalf("a body that is not JSON: %d", r.Status)
	}
	rec = tl.next(t)
	if rec.Subject != "hirempire.dlq" || rec.Raw != "not json" || rec.Data != nil || rec.Headers["hirebridge-reason"] == "" {
		t.Errorf("dead letter line: %+v", rec)
	}
}

// Without -server, tail finds the embedded server through the address file
// under the data directory; a subject argument narrows what it prints.
func TestTailEmbeddedAddressAndFilter(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	for _, name := range []string{"job_added", "meeting_booked", "job_deleted"} {
		if r := mustPost(t, svc.webhookURL(), example(t, name+".json")); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	dataDir := t.TempDir()
	if err := datadir.WriteEmbeddedURL(dataDir, broker.URL()); err != nil {
		t.Fatal(err)
	}
	tl := startTail(t, []string{"-all", "hirempire.meeting_booked"}, []string{"HIREBRIDGE_DATA_DIR=" + dataDir})
	if rec := tl.next(t); rec.Subject != "hirempire.meeting_booked" {
		t.Errorf("filtered tail printed %s", rec.Subject)
	}
	// Another meeting, posted after the job_deleted the filter must pass
	// over, is the next line: no window waited out for a line that must
	// not come.
	meeting := bytes.Replace(example(t, "meeting_booked.json"), []byte("mtg_ab12cd34ef56gh78ij"), []byte("mtg_after"), 1)
	next := mustPost(t, svc.webhookURL(), meeting)
	if next.Status != http.StatusOK || next.Body.Status != "published" {
		t.Fatalf("another meeting_booked: %d %s", next.Status, next.Raw)
	}
	if rec := tl.next(t); rec.Subject != "hirempire.meeting_booked" || rec.Headers["ce-id"] != next.Body.ID {
		t.Errorf("filtered tail printed %+v, want the next meeting_booked %s and nothing between", rec, next.Body.ID)
	}

	// A filter that can match nothing is refused at once, saying why,
	// rather than waiting forever in silence.
	for filter, says := range map[string]string{"hirempire.job_*": "whole tokens", "other.>": "matches nothing"} {
		err := run(context.Background(), []string{"tail", filter}, []string{"HIREBRIDGE_DATA_DIR=" + dataDir}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), says) {
			t.Errorf("tail %s: %v, want an error saying %q", filter, err, says)
		}
	}

	// With neither a URL nor an address file, tail says what to do.
	err := run(context.Background(), []string{"tail"}, []string{"HIREBRIDGE_DATA_DIR=" + filepath.Join(t.TempDir(), "none")}, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_NATS_URL") {
		t.Errorf("tail without a server: %v, want advice naming HIREBRIDGE_NATS_URL", err)
	}
}

// tail connects with the service's own NATS settings, so it follows a
// server that requires credentials, given the same HIREBRIDGE_NATS_*.
func TestTailWithCredentials(t *testing.T) {
	t.Parallel()
	opts := &server.Options{
		Host: "127.0.0.1", Port: server.RANDOM_PORT, JetStream: true,
		StoreDir: t.TempDir(), NoSigs: true, NoLog: true,
		Username: "bridge", Password: "s3cret-pass",
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(func() { srv.Shutdown(); srv.WaitForShutdown() })
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server did not start")
	}
	passwordFile := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(passwordFile, []byte("s3cret-pass\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	env := baseEnv(t, srv.ClientURL())
	env["HIREBRIDGE_NATS_USER"] = "bridge"
	env["HIREBRIDGE_NATS_PASSWORD_FILE"] = passwordFile
	svc := startService(t, env)
	sent := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if sent.Status != http.StatusOK {
		t.Fatalf("POST: %d %s", sent.Status, sent.Raw)
	}

	tl := startTail(t, []string{"-all"}, environ(env))
	if rec := tl.next(t); rec.Headers["ce-id"] != sent.Body.ID {
		t.Errorf("tail printed %+v, want the event %s", rec, sent.Body.ID)
	}

	delete(env, "HIREBRIDGE_NATS_PASSWORD_FILE")
	if err := run(context.Background(), []string{"tail"}, environ(env), io.Discard); err == nil {
		t.Error("tail without the password connected")
	}
}
