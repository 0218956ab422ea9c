package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// eventFactory makes distinct valid events: the documented job_added with
// a job id of its own.
type eventFactory struct{ doc map[string]any }

func newEventFactory(t testing.TB) eventFactory {
	return eventFactory{doc: decodeObject(t, example(t, "job_added.json"))}
}

func (f eventFactory) make(tag string, i int) []byte {
	doc := map[string]any{}
	for k, v := range f.doc {
		doc[k] = v
	}
	job := map[string]any{}
	for k, v := range f.doc["job"].(map[string]any) {
		job[k] = v
	}
	job["id"] = fmt.Sprintf("job_%s_%06d", tag, i)
	doc["job"] = job
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return b
}

// loadClient is an HTTP client pooled for many concurrent senders.
func loadClient(conns int) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = conns
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

func TestServeConcurrentDistinct(t *testing.T) {
	slow(t, "the load test: 1,000 distinct events from 32 senders, each stored once")
	t.Parallel()
	const events, clients = 1000, 32
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	factory := newEventFactory(t)
	c := loadClient(clients)

	ids := make([]string, events)
	errs := make(chan error, events)
	next := make(chan int)
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for i := range next {
				r, err := post(c, svc.webhookURL(), factory.make("load", i))
				switch {
				case err != nil:
					errs <- fmt.Errorf("event %d: %w", i, err)
				case r.Status != http.StatusOK || r.Body.Status != "published":
					errs <- fmt.Errorf("event %d: %d %s", i, r.Status, r.Raw)
				default:
					ids[i] = r.Body.ID
				}
			}
		})
	}
	for i := range events {
		next <- i
	}
	close(next)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	stored, count := byID(readStream(t, broker.URL(), "HIREMPIRE"))
	if len(stored) != events {
		t.Errorf("stream holds %d distinct events, want %d", len(stored), events)
	}
	distinct := map[string]bool{}
	for i, id := range ids {
		if id == "" {
			continue
		}
		distinct[id] = true
		if count[id] != 1 {
			t.Errorf("event %d (%s) stored %d times, want once", i, id, count[id])
		}
	}
	if len(distinct) != events {
		t.Errorf("%d distinct ids acknowledged, want %d", len(distinct), events)
	}
}

// outcomes records what senders were told, safe for concurrent use.
type outcomes struct {
	mu          sync.Mutex
	acked       map[string]int // id -> event number
	unavailable int
	other       []string
}

func (o *outcomes) record(i int, r reply, err error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	switch {
	case err != nil:
		o.other = append(o.other, err.Error())
	case r.Status == http.StatusOK:
		o.acked[r.Body.ID] = i
	case r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "" && r.Body.Error != "":
		o.unavailable++
	default:
		o.other = append(o.other, fmt.Sprintf("%d %s", r.Status, r.Raw))
	}
}

func (o *outcomes) counts() (acked, unavailable int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.acked), o.unavailable
}

// waitFor polls cond until it holds, failing the test after within.
func waitFor(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// The broker goes away under load and comes back: while it is away senders
// get 503 and readiness fails; no sender is told an event was stored that
// is not; publishing resumes by itself.
func TestServeBrokerOutage(t *testing.T) {
	slow(t, "the broker outage under load: 503s while away, nothing acknowledged lost, publishing resumed")
	t.Parallel()
	const clients = 16
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	// In-flight publishes at the moment the broker stops wait this long.
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "2s"
	env["HIREBRIDGE_RETRY_AFTER"] = "1s"
	svc := startService(t, env)
	factory := newEventFactory(t)
	c := loadClient(clients)

	res := &outcomes{acked: map[string]int{}}
	var seq atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				i := int(seq.Add(1))
				r, err := post(c, svc.webhookURL(), factory.make("outage", i))
				res.record(i, r, err)
				if err != nil || r.Status != http.StatusOK {
					time.Sleep(5 * time.Millisecond)
				}
			}
		})
	}
	stopClients := sync.OnceFunc(func() { close(stop); wg.Wait() })
	defer stopClients()
	defer func() {
		if t.Failed() {
			// What the senders and the service saw, for a failure on CI.
			res.mu.Lock()
			t.Logf("%d sent, %d stored, %d told 503, %d other answers, first: %q",
				seq.Load(), len(res.acked), res.unavailable, len(res.other), res.other[:min(5, len(res.other))])
			res.mu.Unlock()
			logs := svc.logs.String()
			t.Logf("last service logs:\n%s", logs[max(0, len(logs)-4000):])
		}
	}()

	waitFor(t, 20*time.Second, "100 events stored before the outage", func() bool { a, _ := res.counts(); return a >= 100 })
	broker.Stop()
	waitFor(t, 10*time.Second, "/readyz to fail", func() bool { s, _ := get(svc.admin + "/readyz"); return s == http.StatusServiceUnavailable })
	ackedAtOutage, _ := res.counts()
	waitFor(t, 20*time.Second, "50 senders told 503", func() bool { _, u := res.counts(); return u >= 50 })
	if status, body := get(svc.admin + "/livez"); status != http.StatusOK {
		t.Errorf("/livez while the broker is away: %d %s", status, body)
	}

	broker.Restart(t)
	waitFor(t, 20*time.Second, "/readyz to pass again", func() bool { s, _ := get(svc.admin + "/readyz"); return s == http.StatusOK })
	waitFor(t, 20*time.Second, "100 more events stored after the outage", func() bool { a, _ := res.counts(); return a >= ackedAtOutage+100 })
	stopClients()

	acked, unavailable := res.counts()
	t.Logf("%d sent, %d stored, %d told 503", seq.Load(), acked, unavailable)
	for _, o := range res.other {
		t.Errorf("unexpected answer: %s", o)
	}
	_, count := byID(readStream(t, broker.URL(), "HIREMPIRE"))
	for id, i := range res.acked {
		if count[id] != 1 {
			t.Errorf("event %d (%s) was acknowledged but is stored %d times", i, id, count[id])
		}
	}
}
