package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// spoolLeftBehind is what a bridge stopped during an outage left: its
// environment, the broker (stopped), and the ids of the events answered
// 202 spooled.
type spoolLeftBehind struct {
	env    map[string]string
	broker *natstest.Server
	ids    map[string]bool
	dir    string
}

// leaveSpool runs the service, stops the broker, posts n distinct job
// events (each answered 202 spooled) and stops the service, which leaves
// them in its spool.
func leaveSpool(t *testing.T, n int) spoolLeftBehind {
	t.Helper()
	broker := natstest.Start(t)
	env := spoolEnv(t, broker.URL())
	svc := startService(t, env)
	broker.Stop()
	jobs := newKeyedEvents(t)
	left := spoolLeftBehind{env: env, broker: broker, ids: map[string]bool{}, dir: filepath.Join(env["HIREBRIDGE_DATA_DIR"], "spool")}
	for i := range n {
		r := mustPost(t, svc.webhookURL(), jobs.make(fmt.Sprintf("job-%d", i%10), i))
		if r.Status != 202 || r.Body.Status != "spooled" {
			t.Fatalf("event %d: %d %s, want 202 spooled", i, r.Status, r.Raw)
		}
		left.ids[r.Body.ID] = true
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	return left
}

// copy is the same spool for a test of its own, which damages it: the data
// directory copied, a broker of its own, stopped as the first was. Writing
// the spool (an outage, a service, 500 posts) is the slow part of these
// tests; each damage starts from a copy of one.
func (l spoolLeftBehind) copy(t *testing.T) spoolLeftBehind {
	t.Helper()
	broker := natstest.Start(t)
	broker.Stop()
	env := spoolEnv(t, broker.URL())
	from, to := l.env["HIREBRIDGE_DATA_DIR"], env["HIREBRIDGE_DATA_DIR"]
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o750)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o640)
	})
	if err != nil {
		t.Fatalf("copying the spool: %v", err)
	}
	return spoolLeftBehind{env: env, broker: broker, ids: l.ids, dir: filepath.Join(to, "spool")}
}

// restart brings the broker back and starts the service on the damaged
// spool; it must start and be ready whatever the damage.
func (l spoolLeftBehind) restart(t *testing.T) *service {
	t.Helper()
	l.broker.Restart(t)
	return startService(t, l.env)
}

// genuine fails unless every event on the broker is one that was answered
// 202, byte for byte as accepted (its body still hashes to its id); it
// returns how many there are.
func (l spoolLeftBehind) genuine(t *testing.T) int {
	t.Helper()
	msgs := readStream(t, l.broker.URL(), "HIREMPIRE")
	_, count := byID(msgs)
	for _, m := range msgs {
		id := m.Header.Get("ce-id")
		if !l.ids[id] || events.ContentID(m.Data) != id {
			t.Errorf("the broker holds %s on %s, which was never accepted as it is: %q", id, m.Subject, m.Data)
		}
		if count[id] != 1 {
			t.Errorf("%s is stored %d times", id, count[id])
		}
	}
	return len(msgs)
}

// startLine is the service's log line about the damaged spool, as JSON.
func startLine(t *testing.T, svc *service) map[string]any {
	t.Helper()
	for _, l := range strings.Split(svc.logs.String(), "\n") {
		if strings.Contains(l, `"problem"`) {
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("the start's report is not one JSON line: %v\n%s", err, l)
			}
			if m["level"] != "error" {
				t.Errorf("the start's report is at level %v, want error", m["level"])
			}
			return m
		}
	}
	t.Fatalf("no log line reports the damaged spool:\n%s", svc.logs.String())
	return nil
}

// salvage runs `hirebridge spool salvage FILE` and returns its output.
func (l spoolLeftBehind) salvage(t *testing.T, file string) string {
	t.Helper()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"spool", "salvage", file}, environ(l.env), &out); err != nil {
		t.Fatalf("spool salvage: %v\n%s", err, out.String())
	}
	return out.String()
}

const leftEvents = 500

// The spool file of a stopped bridge, damaged four ways while it was
// stopped: each time the bridge starts, is ready, says what happened in
// one JSON error line, publishes no garbage, and what the file still holds
// is forwarded, by the bridge itself or by `hirebridge spool salvage`.
func TestBinarySpoolDamage(t *testing.T) {
	slow(t, "the spool file damaged four ways, 500 events each, through restarts and salvage")
	t.Parallel()
	left := leaveSpool(t, leftEvents)
	t.Run("truncated to nothing", func(t *testing.T) {
		t.Parallel()
		l := left.copy(t)
		if err := os.Truncate(filepath.Join(l.dir, spool.FileName), 0); err != nil {
			t.Fatal(err)
		}
		svc := l.restart(t)
		line := startLine(t, svc)
		if line["last_known_events"] != float64(leftEvents) || !strings.Contains(fmt.Sprint(line["problem"]), "empty") {
			t.Errorf("the report does not say the empty file held %d events: %v", leftEvents, line)
		}
		if got := metricValue(t, svc.admin, "hirebridge_spool_missing_events"); got != leftEvents {
			t.Errorf("hirebridge_spool_missing_events %v, want %d", got, leftEvents)
		}
		stored := l.genuine(t)
		t.Logf("truncated to 0: %d spooled, %d forwarded, 0 quarantined, 0 salvaged, %d lost (the bytes were destroyed; reported)", leftEvents, stored, leftEvents-stored)
	})

	t.Run("truncated to half", func(t *testing.T) {
		t.Parallel()
		l := left.copy(t)
		path := filepath.Join(l.dir, spool.FileName)
		fi, _ := os.Stat(path)
		if err := os.Truncate(path, fi.Size()/2); err != nil {
			t.Fatal(err)
		}
		svc := l.restart(t)
		line := startLine(t, svc)
		moved, _ := line["moved_to"].(string)
		readable, _ := line["readable_records"].(float64)
		if moved == "" || readable == 0 {
			t.Fatalf("the report names no moved file or readable records: %v", line)
		}
		if got := metricValue(t, svc.admin, "hirebridge_spool_salvageable_events"); got != readable {
			t.Errorf("hirebridge_spool_salvageable_events %v, want %v", got, readable)
		}
		if n := l.genuine(t); n != 0 {
			t.Errorf("%d events reached the broker before salvage", n)
		}
		out := l.salvage(t, moved)
		salvaged := l.genuine(t)
		if !strings.Contains(out, fmt.Sprintf("published  %d", salvaged)) || float64(salvaged) != readable {
			t.Errorf("salvage forwarded %d of %v readable:\n%s", salvaged, readable, out)
		}
		waitFor(t, 5e9, "/metrics to count the salvaged events", func() bool {
			return metricValue(t, svc.admin, "hirebridge_spool_salvaged_events") == readable &&
				metricValue(t, svc.admin, "hirebridge_spool_salvageable_events") == 0
		})
		if out := l.salvage(t, moved); !strings.Contains(out, fmt.Sprintf("already_published  %d", salvaged)) {
			t.Errorf("a second salvage:\n%s\nwant every record already published", out)
		}
		if n := l.genuine(t); n != salvaged {
			t.Errorf("the second salvage changed the stream: %d events, want %d", n, salvaged)
		}
		t.Logf("truncated to half: %d spooled, 0 forwarded, 0 quarantined, %d salvaged, %d lost (the bytes were destroyed; reported)", leftEvents, salvaged, leftEvents-salvaged)
	})

	t.Run("flipped bytes in data pages", func(t *testing.T) {
		t.Parallel()
		l := left.copy(t)
		path := filepath.Join(l.dir, spool.FileName)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		flipped := 0
		for _, n := range []int{3, 77, 150, 222, 301, 333, 420, 499} {
			needle := []byte(fmt.Sprintf(`"seq":%d,`, n))
			if i := bytes.Index(raw, needle); i >= 0 {
				raw[i+len(needle)-2] ^= 0x01
				flipped++
			}
		}
		if flipped != 8 {
			t.Fatalf("flipped %d bodies, want 8", flipped)
		}
		if err := os.WriteFile(path, raw, 0o640); err != nil {
			t.Fatal(err)
		}
		svc := l.restart(t)
		waitFor(t, 30e9, "the spool to drain", func() bool {
			return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
		})
		stored := l.genuine(t)
		quarantined := int(metricValue(t, svc.admin, "hirebridge_spool_quarantine_events"))
		if stored != leftEvents-8 || quarantined != 8 {
			t.Errorf("%d forwarded and %d quarantined, want %d and 8", stored, quarantined, leftEvents-8)
		}
		t.Logf("flipped bytes: %d spooled, %d forwarded, %d quarantined, 0 salvaged, %d lost", leftEvents, stored, quarantined, leftEvents-stored-quarantined)
	})

	t.Run("records of an unknown version", func(t *testing.T) {
		t.Parallel()
		l := left.copy(t)
		db, err := bolt.Open(filepath.Join(l.dir, spool.FileName), 0o640, nil)
		if err != nil {
			t.Fatal(err)
		}
		rewritten := 0
		err = db.Update(func(tx *bolt.Tx) error {
			recs := tx.Bucket([]byte("records"))
			c := recs.Cursor()
			for k, v := c.First(); k != nil && rewritten < 50; k, v = c.Next() {
				future := append([]byte(`{"v":9,`), v[len(`{"v":2,`):]...)
				if err := recs.Put(bytes.Clone(k), future); err != nil {
					return err
				}
				rewritten++
			}
			return nil
		})
		db.Close()
		if err != nil || rewritten != 50 {
			t.Fatalf("rewrote %d records: %v", rewritten, err)
		}
		svc := l.restart(t)
		waitFor(t, 30e9, "the spool to drain", func() bool {
			return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
		})
		stored := l.genuine(t)
		kept := int(metricValue(t, svc.admin, "hirebridge_spool_quarantine_events"))
		if stored != leftEvents-50 || kept != 50 {
			t.Errorf("%d forwarded and %d kept, want %d and 50", stored, kept, leftEvents-50)
		}
		if !strings.Contains(svc.logs.String(), "format version 9") {
			t.Error("the log does not say which version the kept records need")
		}
		t.Logf("unknown version: %d spooled, %d forwarded, %d kept in the quarantine (for a build that reads version 9), 0 lost", leftEvents, stored, kept)
	})
}
