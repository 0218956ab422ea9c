package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// env is a process environment for run and natsServer.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// recordURL writes url where hirebridge's embedded server records its
// address, in a new data directory, and returns the directory and file.
func recordURL(t *testing.T, url string) (dir, file string) {
	t.Helper()
	dir = t.TempDir()
	file = filepath.Join(dir, "embedded-nats.url")
	// As hirebridge writes it: the URL and a newline.
	if err := os.WriteFile(file, []byte(url+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// The server is found as `hirebridge tail` finds it: NATS_URL, else
// HIREBRIDGE_NATS_URL, else the URL recorded in the data directory, else
// the default, each saying where it came from.
func TestNATSServer(t *testing.T) {
	dir, file := recordURL(t, "nats://127.0.0.1:37411")
	none := filepath.Join(t.TempDir(), "none")
	for _, c := range []struct {
		env       env
		url, from string
	}{
		{env{"NATS_URL": "nats://a:1", "HIREBRIDGE_NATS_URL": "nats://b:2", "HIREBRIDGE_DATA_DIR": dir}, "nats://a:1", "NATS_URL"},
		{env{"HIREBRIDGE_NATS_URL": "nats://b:2,nats://c:3", "HIREBRIDGE_DATA_DIR": dir}, "nats://b:2,nats://c:3", "HIREBRIDGE_NATS_URL"},
		{env{"HIREBRIDGE_DATA_DIR": dir}, "nats://127.0.0.1:37411", "recorded in " + file},
		{env{"HIREBRIDGE_DATA_DIR": none}, "nats://127.0.0.1:4222", "the default; no NATS_URL, HIREBRIDGE_NATS_URL or " + filepath.Join(none, "embedded-nats.url")},
	} {
		url, from := natsServer(c.env.get)
		if url != c.url || from != c.from {
			t.Errorf("natsServer with %v = %q, %q; want %q, %q", c.env, url, from, c.url, c.from)
		}
	}
}

// Without HIREBRIDGE_DATA_DIR the data directory is ./data, where
// hirebridge keeps it when run from the same directory.
func TestNATSServerDefaultDataDir(t *testing.T) {
	t.Chdir(t.TempDir())
	if err := os.Mkdir("data", 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join("data", "embedded-nats.url"), []byte("nats://127.0.0.1:40001\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	url, from := natsServer(env{}.get)
	if want := "recorded in " + filepath.Join("data", "embedded-nats.url"); url != "nats://127.0.0.1:40001" || from != want {
		t.Errorf("natsServer = %q, %q; want nats://127.0.0.1:40001, %q", url, from, want)
	}
}

// A stream that is not there is one line naming it, the server and where
// its URL came from, found through the data directory.
func TestStreamMissing(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	dir, file := recordURL(t, srv.URL())
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), env{"HIREBRIDGE_DATA_DIR": dir}.get, &stdout, &stderr)
	want := "stream HIREMPIRE not found on " + srv.URL() + " (recorded in " + file + "): is hirebridge running with the same HIREBRIDGE_NATS_STREAM?"
	if err == nil || err.Error() != want {
		t.Errorf("run = %v, want %s", err, want)
	}
	if stdout.Len() > 0 || stderr.Len() > 0 {
		t.Errorf("run printed %q and %q, want nothing but its error", stdout.String(), stderr.String())
	}
}

// A server that is gone (hirebridge stopped without removing its record)
// is one line naming the URL and where it came from.
func TestCannotConnect(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "nats://" + l.Addr().String()
	l.Close()
	dir, file := recordURL(t, url)
	err = run(t.Context(), env{"HIREBRIDGE_DATA_DIR": dir}.get, &bytes.Buffer{}, &bytes.Buffer{})
	want := "cannot connect to " + url + " (recorded in " + file + "): "
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("run = %v, want one line starting %q", err, want)
	}
}

// A NATS server without JetStream (not hirebridge's) says so.
func TestNoJetStream(t *testing.T) {
	t.Parallel()
	srv, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: server.RANDOM_PORT, NoSigs: true, NoLog: true})
	if err != nil {
		t.Fatal(err)
	}
	srv.Start()
	t.Cleanup(srv.Shutdown)
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("nats-server not ready")
	}
	err = run(t.Context(), env{"NATS_URL": srv.ClientURL()}.get, &bytes.Buffer{}, &bytes.Buffer{})
	want := srv.ClientURL() + " (NATS_URL) has no JetStream: is it hirebridge's server?"
	if err == nil || err.Error() != want {
		t.Errorf("run = %v, want %s", err, want)
	}
}

// lineWriter stops the run once it has printed a line.
type lineWriter struct {
	bytes.Buffer
	stop context.CancelFunc
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if bytes.ContainsRune(w.Bytes(), '\n') {
		w.stop()
	}
	return n, err
}

// With zero configuration, hirebridge's embedded server records its URL in
// the data directory, and the example, given only that directory, follows
// the stream there: on a free port, not on the default (its stream's name
// is only there).
func TestFindsTheEmbeddedServer(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the example finding hirebridge's embedded server through its data directory, against the built service")
	}
	t.Parallel()
	dir := t.TempDir()
	const stream = "FOUND_THROUGH_DATA_DIR"
	svc := servicetest.Start(t, map[string]string{
		"HIREBRIDGE_DATA_DIR":    dir,
		"HIREBRIDGE_NATS_STREAM": stream,
		// A free port, as the service takes when 4222 is in use.
		"HIREBRIDGE_NATS_EMBEDDED_ADDR": "127.0.0.1:0",
	})
	if code, status := svc.Post(t, servicetest.Examples(t)["job_added"]); code != http.StatusOK || status != "published" {
		t.Fatalf("job_added: %d %s", code, status)
	}
	recorded, err := os.ReadFile(filepath.Join(dir, "embedded-nats.url"))
	if err != nil {
		t.Fatalf("the service recorded no URL: %v", err)
	}
	url := strings.TrimSpace(string(recorded))

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	stdout := &lineWriter{stop: cancel}
	var stderr bytes.Buffer
	if err := run(ctx, env{"HIREBRIDGE_DATA_DIR": dir, "HIREBRIDGE_NATS_STREAM": stream}.get, stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	if want := "job_added job_kl23mn45op67qr89st Backend Engineer\n"; stdout.String() != want {
		t.Errorf("the example printed %q, want %q", stdout.String(), want)
	}
	wantErr := "consume-nats: following stream " + stream + " (hirempire.>) on " + url +
		" (recorded in " + filepath.Join(dir, "embedded-nats.url") + ") as example-go; Ctrl-C stops\n"
	if stderr.String() != wantErr {
		t.Errorf("the example said %q, want %q", stderr.String(), wantErr)
	}
}
