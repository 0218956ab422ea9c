package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// spoolEnv is a service with the spool on in front of the NATS server at
// url: events the broker does not take within 300 ms are spooled.
func spoolEnv(t testing.TB, url string) map[string]string {
	env := baseEnv(t, url)
	env["HIREBRIDGE_SPOOL"] = "true"
	env["HIREBRIDGE_SPOOL_AFTER"] = "300ms"
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "3s"
	return env
}

// keyedEvents builds distinct job_added events, n-th of a job, so the
// stream can be checked for the order per key.
type keyedEvents struct{ doc map[string]any }

func newKeyedEvents(t testing.TB) keyedEvents {
	return keyedEvents{doc: decodeObject(t, example(t, "job_added.json"))}
}

func (k keyedEvents) make(key string, n int) []byte {
	doc := map[string]any{}
	for name, v := range k.doc {
		doc[name] = v
	}
	job := map[string]any{}
	for name, v := range k.doc["job"].(map[string]any) {
		job[name] = v
	}
	job["id"] = key
	doc["job"] = job
	doc["seq"] = n
	b, _ := json.Marshal(doc)
	return b
}

// senders posts each key's events in order, one after the other, never
// retrying, until stop closes; it records every answer.
type senders struct {
	mu       sync.Mutex
	answered map[int]int // status -> count
	stored   []string    // ids answered 200 or 202
	spooled  int
	other    []string
	sent     atomic.Int64
}

func (s *senders) run(t testing.TB, url string, keys int, stop <-chan struct{}) {
	s.answered = map[int]int{}
	events := newKeyedEvents(t)
	c := loadClient(keys)
	var wg sync.WaitGroup
	for k := range keys {
		key := fmt.Sprintf("job_spool_%02d", k)
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				r, err := post(c, url, events.make(key, n))
				s.sent.Add(1)
				s.mu.Lock()
				switch {
				case err != nil:
					s.other = append(s.other, err.Error())
				case r.Status == http.StatusOK || r.Status == http.StatusAccepted:
					s.stored = append(s.stored, r.Body.ID)
					if r.Body.Status == "spooled" {
						s.spooled++
					}
				default:
					s.other = append(s.other, fmt.Sprintf("%d %s", r.Status, r.Raw))
				}
				s.answered[r.Status]++
				s.mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// published is how many events were answered 200 published, not spooled.
func (s *senders) published() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.stored) - s.spooled
}

// checkStream fails unless every id is in the stream exactly once and
// each job's events are in the order they were sent; it returns how many
// messages the stream holds.
func checkStream(t *testing.T, url string, ids []string) int {
	t.Helper()
	msgs := readStream(t, url, "HIREMPIRE")
	_, count := byID(msgs)
	for _, id := range ids {
		if count[id] != 1 {
			t.Errorf("event %s was answered 2xx but is in the stream %d times", id, count[id])
		}
	}
	last := map[string]int{}
	for _, m := range msgs {
		var ev struct {
			Seq int `json:"seq"`
			Job struct {
				ID string `json:"id"`
			} `json:"job"`
		}
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatalf("a stored event does not decode: %v", err)
		}
		if prev, ok := last[ev.Job.ID]; ok && ev.Seq <= prev {
			t.Errorf("%s event %d stored after its event %d", ev.Job.ID, ev.Seq, prev)
		}
		last[ev.Job.ID] = ev.Seq
	}
	return len(msgs)
}

// metricValue reads one unlabelled series from /metrics.
func metricValue(t testing.TB, admin, name string) float64 {
	t.Helper()
	_, body := get(admin + "/metrics")
	m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("/metrics has no %s", name)
	}
	v, _ := strconv.ParseFloat(m[1], 64)
	return v
}

// With the embedded server the spool is refused at start, saying why.
func TestSpoolNeedsAnExternalBroker(t *testing.T) {
	t.Parallel()
	_, err := config.Load([]string{"HIREBRIDGE_SPOOL=true"})
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_SPOOL:") || !strings.Contains(err.Error(), "embedded") {
		t.Errorf("spool with the embedded server: %v, want an error naming HIREBRIDGE_SPOOL and why", err)
	}
	_, err = config.Load([]string{"HIREBRIDGE_SPOOL=true", "HIREBRIDGE_NATS_URL=nats://127.0.0.1:4222",
		"HIREBRIDGE_SPOOL_AFTER=10s", "HIREBRIDGE_PUBLISH_TIMEOUT=5s"})
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_SPOOL_AFTER") {
		t.Errorf("a spool delay beyond the publish timeout: %v, want an error naming HIREBRIDGE_SPOOL_AFTER", err)
	}
	cfg, err := config.Load([]string{"HIREBRIDGE_SPOOL=true", "HIREBRIDGE_NATS_URL=nats://127.0.0.1:4222", "HIREBRIDGE_DATA_DIR=/var/lib/hb"})
	if err != nil || cfg.Spool.Dir != "/var/lib/hb/spool" {
		t.Errorf("spool directory %q (%v), want under the data directory", cfg.Spool.Dir, err)
	}
}

// Senders that never retry post through a NATS outage of 3 s: none gets a
// 5xx, readiness stays 200 saying events are spooled, and afterwards every
// event answered 2xx is in the stream exactly once, in order per job.
func TestSpoolOutageLosesNothing(t *testing.T) {
	slow(t, "the spool through a 3 s NATS outage under load: no 5xx, every 2xx event stored once, in order")
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, spoolEnv(t, broker.URL()))
	var s senders
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.run(t, svc.webhookURL(), 8, stop)
	}()
	// Every sender is served by the broker before it goes.
	waitFor(t, 10*time.Second, "events published before the outage", func() bool { return s.published() >= 40 })
	broker.Stop()
	waitFor(t, 5*time.Second, "events to be spooled", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") > 0
	})
	status, body := get(svc.admin + "/readyz")
	if status != http.StatusOK || !strings.Contains(body, "spooling") {
		t.Errorf("/readyz during the outage: %d %s, want 200 saying events are spooled", status, body)
	}
	// The outage itself, the thing under test: a fixed time, not a
	// condition.
	time.Sleep(2500 * time.Millisecond)
	broker.Restart(t)
	// Senders go on while the spool forwards what it holds.
	after := s.sent.Load()
	waitFor(t, 10*time.Second, "events posted while the spool forwards", func() bool { return s.sent.Load() >= after+40 })
	close(stop)
	<-done
	waitFor(t, 15*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})

	for _, o := range s.other {
		t.Errorf("answer other than 2xx: %s", o)
	}
	if s.spooled == 0 {
		t.Error("no event was answered 202 spooled during the outage")
	}
	stored := checkStream(t, broker.URL(), s.stored)
	t.Logf("outage of 3s: %d sent, %d answered 200, %d answered 202 spooled, %d in the stream, %d answered otherwise",
		s.sent.Load(), len(s.stored)-s.spooled, s.spooled, stored, len(s.other))
	for _, want := range []string{"spooling events to disk", "the spool is drained"} {
		if !strings.Contains(svc.logs.String(), want) {
			t.Errorf("no log line saying %q", want)
		}
	}
}

// A full spool answers 503 with Retry-After, as without a spool, and
// readiness fails.
func TestSpoolFullIs503(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := spoolEnv(t, broker.URL())
	env["HIREBRIDGE_SPOOL_MAX_BYTES"] = "8000"
	svc := startService(t, env)
	broker.Stop()
	events := newKeyedEvents(t)
	var last reply
	for n := range 10 {
		last = mustPost(t, svc.webhookURL(), events.make("job_full", n))
		if last.Status != http.StatusAccepted {
			break
		}
	}
	if last.Status != http.StatusServiceUnavailable || last.Header.Get("Retry-After") == "" ||
		last.Body.Error != "broker_unavailable" {
		t.Fatalf("posting into a full spool: %d %s (Retry-After %q), want 503 broker_unavailable with Retry-After",
			last.Status, last.Raw, last.Header.Get("Retry-After"))
	}
	if status, body := get(svc.admin + "/readyz"); status != http.StatusServiceUnavailable || !strings.Contains(body, "full") {
		t.Errorf("/readyz with a full spool: %d %s, want 503 saying it is full", status, body)
	}
}

// The binary with a spool, through SIGTERM and kill -9: SIGTERM leaves
// what the broker did not take on disk and exits 0 at once; a process
// killed while events are spooled, restarted while the broker is still
// down, takes more; killed again while forwarding, it forwards the rest
// after the next start. Every event answered 2xx ends in the stream once,
// in order. Not parallel: it measures how long SIGTERM takes.
func TestBinarySpoolSurvivesSIGTERMAndKill9(t *testing.T) {
	slow(t, "the spooling binary through SIGTERM and two kill -9s, 300 events forwarded after")
	broker := natstest.Start(t)
	env := spoolEnv(t, broker.URL())
	events := newKeyedEvents(t)
	var ids []string
	post := func(p *process, key string, count int) {
		t.Helper()
		for n := range count {
			r := mustPost(t, p.svc.webhookURL(), events.make(key, n))
			if r.Status != http.StatusAccepted || r.Body.Status != "spooled" {
				t.Fatalf("%s %d with the broker down: %d %s, want 202 spooled", key, n, r.Status, r.Raw)
			}
			ids = append(ids, r.Body.ID)
		}
	}
	kill := func(p *process) {
		t.Helper()
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		<-p.exited
	}

	first := startBinary(t, env)
	broker.Stop()
	post(first, "job_a", 50)
	start := time.Now()
	first.stop(t)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("SIGTERM with the broker away took %v; the spool should stay on disk at once", took)
	}
	if !strings.Contains(first.logs.String(), "the next start forwards them") {
		t.Errorf("no log line saying events are left in the spool:\n%s", first.logs)
	}

	// Starts and serves with the broker still down.
	second := startBinary(t, env)
	post(second, "job_b", 200)
	kill(second)

	third := startBinary(t, env)
	post(third, "job_c", 50)
	broker.Restart(t)
	// Killed while forwarding: some events are on the broker, the rest
	// still spooled, maybe some acknowledged but not yet removed.
	var left float64
	waitFor(t, 15*time.Second, "forwarding to begin", func() bool {
		left = metricValue(t, third.svc.admin, "hirebridge_spool_events")
		return left < 300
	})
	kill(third)
	t.Logf("killed while forwarding, with %v of 300 events in the spool", left)

	fourth := startBinary(t, env)
	waitFor(t, 20*time.Second, "the spool to drain", func() bool {
		return metricValue(t, fourth.svc.admin, "hirebridge_spool_events") == 0
	})
	if n := checkStream(t, broker.URL(), ids); n != len(ids) {
		t.Errorf("%d messages in the stream, want the %d events answered 202", n, len(ids))
	}
	fourth.stop(t)
}
