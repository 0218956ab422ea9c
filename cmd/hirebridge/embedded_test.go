package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
)

// embeddedEnv runs the service on its zero-configuration default: no NATS
// URL, an embedded server storing under dataDir.
func embeddedEnv(t *testing.T, dataDir string) map[string]string {
	env := baseEnv(t, "")
	env["HIREBRIDGE_DATA_DIR"] = dataDir
	return env
}

// embeddedURL is where the embedded server told `hirebridge tail` to look.
func embeddedURL(t *testing.T, dataDir string) string {
	t.Helper()
	b, err := os.ReadFile(datadir.EmbeddedURLFile(dataDir))
	if err != nil {
		t.Fatalf("the embedded server's address was not recorded: %v", err)
	}
	return strings.TrimSpace(string(b))
}

func TestEmbeddedExplicitAddrTaken(t *testing.T) {
	t.Parallel()
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	env := embeddedEnv(t, t.TempDir())
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = held.Addr().String()

	svc := launch(t, env)
	err = svc.shutdown()
	if err == nil {
		t.Fatal("the service started although its explicit embedded address is taken")
	}
	msg := err.Error()
	if strings.ContainsAny(msg, "\r\n") || !strings.HasPrefix(msg, "HIREBRIDGE_NATS_EMBEDDED_ADDR") ||
		!strings.Contains(msg, held.Addr().String()) || !strings.Contains(msg, "in use") {
		t.Errorf("error = %q, want one line naming HIREBRIDGE_NATS_EMBEDDED_ADDR, the address and that it is in use", msg)
	}
}

// With the default address taken (by the machine's own NATS server, or by
// the test when there is none) the embedded server takes a free port. Not
// parallel: it holds or relies on 127.0.0.1:4222.
func TestEmbeddedDefaultAddrFallsBack(t *testing.T) {
	// Never stop whatever holds the port: only hold it when nobody does.
	if l, err := net.Listen("tcp", "127.0.0.1:4222"); err == nil {
		defer l.Close()
	}
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	delete(env, "HIREBRIDGE_NATS_EMBEDDED_ADDR")
	svc := startService(t, env)

	url := embeddedURL(t, dataDir)
	if strings.HasSuffix(url, ":4222") {
		t.Fatalf("the embedded server claims the taken default address: %s", url)
	}
	if !strings.Contains(svc.logs.String(), "took a free port") || !strings.Contains(svc.logs.String(), url) {
		t.Errorf("the fallback and the new address were not logged:\n%s", svc.logs)
	}
	r := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK {
		t.Fatalf("POST: %d %s", r.Status, r.Raw)
	}
	if _, count := byID(readStream(t, url, "HIREMPIRE")); count[r.Body.ID] != 1 {
		t.Errorf("event %s not in the embedded server's stream", r.Body.ID)
	}
}

// The embedded default stores on disk: events survive a restart of the
// service, and so does the duplicate window.
func TestEmbeddedSurvivesRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"

	first := startService(t, env)
	ids := map[string]string{}
	for name, body := range examples(t) {
		r := mustPost(t, first.webhookURL(), body)
		if r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		ids[name] = r.Body.ID
	}
	if err := first.shutdown(); err != nil {
		t.Fatalf("first run: %v", err)
	}

	env = embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	second := startService(t, env)
	_, count := byID(readStream(t, embeddedURL(t, dataDir), "HIREMPIRE"))
	for name, id := range ids {
		if count[id] != 1 {
			t.Errorf("%s (%s) stored %d times after the restart, want once", name, id, count[id])
		}
	}
	r := mustPost(t, second.webhookURL(), example(t, "job_deleted.json"))
	if r.Status != http.StatusOK || r.Body.Status != "duplicate" || r.Body.ID != ids["job_deleted"] {
		t.Errorf("resending after the restart: %d %s, want a duplicate of %s", r.Status, r.Raw, ids["job_deleted"])
	}
}

// The largest body limit the configuration accepts still fits the embedded
// server's message limit, headers included.
func TestEmbeddedLargestBodyLimit(t *testing.T) {
	t.Parallel()
	env := embeddedEnv(t, t.TempDir())
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	env["HIREBRIDGE_MAX_BODY_BYTES"] = strconv.Itoa(config.MaxBodyBytes)
	env["HIREBRIDGE_REQUEST_MEMORY_BYTES"] = strconv.Itoa(4 * config.MaxBodyBytes)
	svc := startService(t, env)
	if strings.Contains(svc.logs.String(), "larger events will get 413") {
		t.Errorf("the embedded server accepts less than the body limit:\n%s", svc.logs)
	}
}

// The embedded default caps its stream below the space it has, refusing
// new events when full rather than failing on a full disk; the duplicate
// window is a minute, half JetStream's own default, since each event in it
// costs memory.
func TestEmbeddedStreamLimits(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	startService(t, env)

	nc, err := nats.Connect(embeddedURL(t, dataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "HIREMPIRE")
	if err != nil {
		t.Fatal(err)
	}
	c := st.CachedInfo().Config
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dataDir, &fs); err != nil {
		t.Fatal(err)
	}
	free := int64(fs.Bavail) * int64(fs.Bsize)
	if c.MaxBytes <= 0 || c.MaxBytes > free*6/10 || c.MaxBytes < free*4/10 {
		t.Errorf("stream MaxBytes %d, want about half the %d bytes free", c.MaxBytes, free)
	}
	if c.Discard != jetstream.DiscardNew {
		t.Errorf("stream discard policy %v, want new: old events are never dropped for room", c.Discard)
	}
	// The embedded server's ids are the bridge's own memory: JetStream
	// keeps them briefly, the bridge's bounded window longer.
	if c.Duplicates != 2*time.Second {
		t.Errorf("duplicate window %v, want the embedded default of 2s", c.Duplicates)
	}
}
