//go:build linux

package main

import (
	"fmt"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// natsClusterEnv is a service on a three-node NATS cluster: every server in
// HIREBRIDGE_NATS_URL, a stream of three replicas, the default publish
// timeout (which a leader change must not use up).
func natsClusterEnv(t *testing.T, cl *natstest.Cluster) map[string]string {
	env := baseEnv(t, cl.URLs())
	env["HIREBRIDGE_NATS_STREAM_REPLICAS"] = "3"
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "10s"
	env["HIREBRIDGE_RETRY_AFTER"] = "1s"
	return env
}

// natsClusterPublishTimeout is natsClusterEnv's publish timeout.
const natsClusterPublishTimeout = 10 * time.Second

// natsClusterAnswer is one POST of the webhook load and what it was
// answered.
type natsClusterAnswer struct {
	event string // the sender's own name for the event: tag and number
	// retry is how many times the sender had sent this event before.
	retry      int
	start, end time.Time
	status     int
	result     string // published, duplicate, spooled; or the error code
	id         string // the event id, given with a 2xx
	err        error
}

// natsClusterLoad is senders posting distinct valid events, each retrying
// an event that was not answered 2xx with the same bytes (as Hirempire
// would), every answer recorded.
type natsClusterLoad struct {
	mu      sync.Mutex
	answers []natsClusterAnswer
	ok      int
	stopped chan struct{}
	wg      sync.WaitGroup
	stop    func()
}

func startNATSClusterLoad(t *testing.T, url string, senders int) *natsClusterLoad {
	l := &natsClusterLoad{stopped: make(chan struct{})}
	l.stop = sync.OnceFunc(func() { close(l.stopped); l.wg.Wait() })
	factory := newEventFactory(t)
	c := loadClient(senders)
	for g := range senders {
		l.wg.Go(func() {
			for n, retry := 0, 0; ; {
				select {
				case <-l.stopped:
					return
				default:
				}
				name := fmt.Sprintf("c%d_%06d", g, n)
				a := natsClusterAnswer{event: name, retry: retry, start: time.Now()}
				r, err := post(c, url, factory.make(fmt.Sprintf("c%d", g), n))
				a.end, a.err, a.status = time.Now(), err, r.Status
				a.result, a.id = r.Body.Status, r.Body.ID
				if a.result == "" {
					a.result = r.Body.Error
				}
				l.mu.Lock()
				l.answers = append(l.answers, a)
				if a.ok() {
					l.ok++
				}
				l.mu.Unlock()
				if a.ok() {
					n, retry = n+1, 0
					time.Sleep(5 * time.Millisecond)
				} else {
					retry++
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
	t.Cleanup(l.stop)
	return l
}

func (a natsClusterAnswer) ok() bool {
	return a.err == nil && (a.status == http.StatusOK || a.status == http.StatusAccepted)
}

func (l *natsClusterLoad) okCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ok
}

// waitOK waits until n more events than now are answered 2xx.
func (l *natsClusterLoad) waitOK(t *testing.T, n int, within time.Duration, what string) {
	t.Helper()
	want := l.okCount() + n
	waitFor(t, within, what, func() bool { return l.okCount() >= want })
}

func (l *natsClusterLoad) finish() []natsClusterAnswer {
	l.stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.answers)
}

// natsClusterWindow is what the senders saw between two moments: the
// longest time without a 2xx (the 503 window), the answers other than 2xx
// within it, the slowest answer, and every answer by status.
type natsClusterWindow struct {
	name     string
	gap      time.Duration
	failed   int
	slowest  time.Duration
	statuses map[string]int
}

func measureNATSAnswers(name string, answers []natsClusterAnswer, from, to time.Time) natsClusterWindow {
	w := natsClusterWindow{name: name, statuses: map[string]int{}}
	var oks []time.Time
	var failures []natsClusterAnswer
	for _, a := range answers {
		if a.start.Before(from) || !a.start.Before(to) {
			continue
		}
		w.slowest = max(w.slowest, a.end.Sub(a.start))
		w.statuses[fmt.Sprintf("%d %s", a.status, a.result)]++
		if a.ok() {
			oks = append(oks, a.end)
		} else {
			failures = append(failures, a)
		}
	}
	slices.SortFunc(oks, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(oks); i++ {
		if g := oks[i].Sub(oks[i-1]); g > w.gap {
			w.gap, w.failed = g, 0
			for _, f := range failures {
				if f.end.After(oks[i-1]) && !f.end.After(oks[i]) {
					w.failed++
				}
			}
		}
	}
	return w
}

func (w natsClusterWindow) String() string {
	return fmt.Sprintf("%s: longest time without a 2xx %s (%d answers otherwise within it), slowest answer %s, answers %v",
		w.name, w.gap.Round(time.Millisecond), w.failed, w.slowest.Round(time.Millisecond), w.statuses)
}

// checkNATSClusterAnswers holds the answers to what the stream holds:
// every event answered 2xx stored, none twice, none answered duplicate on
// its first send; every other answer a 503, and none at all when
// noFailures.
func checkNATSClusterAnswers(t *testing.T, answers []natsClusterAnswer, stored map[string]int, noFailures bool) {
	t.Helper()
	var ok, duplicates, spooled, unavailable int
	for _, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("%s: %v", a.event, a.err)
		case !a.ok():
			unavailable++
			if a.status != http.StatusServiceUnavailable || noFailures {
				t.Errorf("%s answered %d %s", a.event, a.status, a.result)
			}
		case stored[a.id] == 0:
			t.Errorf("%s (%s) was answered %d %s but is not in the stream", a.event, a.id, a.status, a.result)
		case a.result == "duplicate" && a.retry == 0:
			t.Errorf("%s (%s) was answered duplicate on its first send", a.event, a.id)
		default:
			ok++
			switch a.result {
			case "duplicate":
				duplicates++
			case "spooled":
				spooled++
			}
		}
	}
	twice := 0
	for id, n := range stored {
		if n > 1 {
			if twice++; twice <= 10 {
				t.Errorf("%s is stored %d times", id, n)
			}
		}
	}
	t.Logf("%d answers: %d 2xx (%d spooled, %d retries answered duplicate), %d 503; %d events stored, %d more than once",
		len(answers), ok, spooled, duplicates, unavailable, len(stored), twice)
}

// natsClusterOutage is the kill -9 of the stream's leader under load, its
// restart, then a rolling restart (SIGTERM) of every server, each once the
// stream is current; it returns what the senders saw of the kill and the
// time the election took.
func natsClusterOutage(t *testing.T, cl *natstest.Cluster, load *natsClusterLoad) (kill natsClusterWindow, election time.Duration, rolling []natsClusterWindow) {
	t.Helper()
	load.waitOK(t, 100, 30*time.Second, "100 events stored before the kill")
	leader := cl.WaitStreamLeader(t, "HIREMPIRE", 30*time.Second)
	killed := time.Now()
	cl.Kill(t, leader)
	next := cl.WaitStreamLeader(t, "HIREMPIRE", 30*time.Second)
	election = time.Since(killed)
	load.waitOK(t, 100, 30*time.Second, "100 events stored after the election")
	kill = measureNATSAnswers(fmt.Sprintf("kill -9 of the leader %s (%s elected)", cl.Name(leader), cl.Name(next)),
		load.snapshot(), killed.Add(-time.Second), time.Now())
	cl.Restart(t, leader)
	for i := range cl.Size() {
		cl.WaitStreamCurrent(t, "HIREMPIRE", 60*time.Second)
		name := "restart of " + cl.Name(i)
		if cl.StreamLeader(t, "HIREMPIRE") == i {
			name += " (the leader)"
		}
		from := time.Now()
		cl.Stop(t, i)
		load.waitOK(t, 50, 30*time.Second, "50 events stored with a server down")
		cl.Restart(t, i)
		cl.WaitStreamCurrent(t, "HIREMPIRE", 60*time.Second)
		load.waitOK(t, 50, 30*time.Second, "50 events stored after the restart")
		rolling = append(rolling, measureNATSAnswers(name, load.snapshot(), from, time.Now()))
	}
	return kill, election, rolling
}

func (l *natsClusterLoad) snapshot() []natsClusterAnswer {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.answers)
}

// A service on a three-node NATS cluster under steady webhook load: the
// stream's leader is killed with SIGKILL and started again, then every
// server restarted in turn. No event answered 2xx is lost or stored twice,
// none is answered duplicate on its first send; the 503s last about as
// long as the election, and no request waits out the publish timeout.
func TestClusterServiceLeaderKillAndRollingRestart(t *testing.T) {
	slow(t, "a service on a three-node NATS cluster through a kill -9 of the stream leader and a rolling restart (every 2xx stored once, the 503 window measured)")
	cl := natstest.StartCluster(t, 3)
	svc := startService(t, natsClusterEnv(t, cl))
	load := startNATSClusterLoad(t, svc.webhookURL(), 4)

	kill, election, rolling := natsClusterOutage(t, cl, load)
	answers := load.finish()
	t.Logf("election: %s (the killed leader's replacement seen in stream info)", election.Round(time.Millisecond))
	for _, w := range append([]natsClusterWindow{kill}, rolling...) {
		t.Logf("%s", w)
		if w.slowest >= natsClusterPublishTimeout-time.Second {
			t.Errorf("%s: an answer took %s, with a publish timeout of %s", w.name, w.slowest.Round(time.Millisecond), natsClusterPublishTimeout)
		}
	}
	if kill.gap > election+3*time.Second {
		t.Errorf("no 2xx for %s around the kill; the election took %s", kill.gap.Round(time.Millisecond), election.Round(time.Millisecond))
	}
	_, stored := byID(readStream(t, cl.URLs(), "HIREMPIRE"))
	checkNATSClusterAnswers(t, answers, stored, false)
}

// The same with the spool on: no request is answered 5xx through the kill
// and the rolling restart, and everything spooled is forwarded, once.
func TestClusterServiceWithSpool(t *testing.T) {
	slow(t, "a spooling service on a three-node NATS cluster through a kill -9 of the stream leader and a rolling restart (no 5xx, everything forwarded once)")
	cl := natstest.StartCluster(t, 3)
	env := natsClusterEnv(t, cl)
	env["HIREBRIDGE_SPOOL"] = "true"
	env["HIREBRIDGE_SPOOL_AFTER"] = "300ms"
	svc := startService(t, env)
	load := startNATSClusterLoad(t, svc.webhookURL(), 4)

	kill, election, rolling := natsClusterOutage(t, cl, load)
	answers := load.finish()
	t.Logf("election: %s", election.Round(time.Millisecond))
	for _, w := range append([]natsClusterWindow{kill}, rolling...) {
		t.Logf("%s", w)
	}
	waitFor(t, 30*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})
	_, stored := byID(readStream(t, cl.URLs(), "HIREMPIRE"))
	checkNATSClusterAnswers(t, answers, stored, true)
}

// Two services on one NATS server, as two bridge replicas behind one
// Service: a sender's retry that reaches the other replica is answered
// duplicate and stored once, by JetStream's duplicate window (the other
// replica's own window never saw the event).
func TestTwoBridgesDuplicate(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	first := startService(t, baseEnv(t, broker.URL()))
	second := startService(t, baseEnv(t, broker.URL()))
	for name, body := range examples(t) {
		a, b := first, second
		if len(name)%2 == 1 {
			a, b = second, first
		}
		r := mustPost(t, a.webhookURL(), body)
		if r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("%s through one bridge: %d %s, want 200 published", name, r.Status, r.Raw)
		}
		again := mustPost(t, b.webhookURL(), body)
		if again.Status != http.StatusOK || again.Body.Status != "duplicate" || again.Body.ID != r.Body.ID {
			t.Errorf("%s re-sent through the other bridge: %d %s, want 200 duplicate %s", name, again.Status, again.Raw, r.Body.ID)
		}
	}
	_, count := byID(readStream(t, broker.URL(), "HIREMPIRE"))
	for id, n := range count {
		if n != 1 {
			t.Errorf("%s is stored %d times, want once", id, n)
		}
	}
	if len(count) != len(examples(t)) {
		t.Errorf("%d events stored, want the %d sent", len(count), len(examples(t)))
	}
}
