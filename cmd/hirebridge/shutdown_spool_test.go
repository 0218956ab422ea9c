package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// A pod being removed (SIGTERM) while its spool holds events and the
// broker takes them: it forwards every one before it exits, in order, once,
// within HIREBRIDGE_SINK_CLOSE_TIMEOUT, exits 0 and leaves an empty spool.
// Not parallel: it measures the shutdown.
func TestBinaryShutdownForwardsTheSpool(t *testing.T) {
	slow(t, "SIGTERM to the spooling binary with 1,500 events spooled: all forwarded before exit")
	const n = 1500
	broker := natstest.Start(t)
	env := withEnv(spoolEnv(t, broker.URL()), "HIREBRIDGE_SINK_CLOSE_TIMEOUT", "30s")
	proc := startBinary(t, env)

	broker.Stop()
	ids := postSpooled(t, proc.svc.webhookURL(), n, 8)
	broker.Restart(t)
	forwarding(t, proc, n)
	took := terminate(t, proc, time.Minute)

	if stored := checkStream(t, broker.URL(), ids); stored != n {
		t.Errorf("%d events in the stream, want the %d spooled", stored, n)
	}
	if left := queuedIDs(t, filepath.Join(env["HIREBRIDGE_DATA_DIR"], "spool")); len(left) != 0 {
		t.Errorf("%d events left in the spool after SIGTERM with the broker there", len(left))
	}
	if left := spoolLogLine(t, proc.logs.String(), "stopping with events in the spool"); left != nil {
		t.Errorf("the log says events were left: %v", left)
	}
	held := spoolLogLine(t, proc.logs.String(), "stopping: forwarding what the spool holds")
	if held == nil {
		// A machine fast enough forwards all 1,500 between the first
		// forward seen and the signal: nothing was left to forward at the
		// stop. TestBinaryShutdownLeavesTheSpoolItCannotForward stops a
		// spool that cannot be forwarded that fast.
		t.Logf("the broker took every event before SIGTERM arrived; nothing to forward at the stop")
		return
	}
	done := spoolLogLine(t, proc.logs.String(), "the spool is forwarded")
	if done == nil {
		t.Fatalf("no log line saying the spool was forwarded before exit:\n%s", proc.logs)
	}
	t.Logf("SIGTERM with %v of %d events still in the spool: %v forwarded at shutdown in %v ms; exit %s after the signal",
		held["events"], n, done["forwarded"], done["took"], took.Round(time.Millisecond))
}

// SIGTERM while the spool holds more than the broker takes within
// HIREBRIDGE_SINK_CLOSE_TIMEOUT (Kafka answering each produce request
// after produceDelay, so the forwarder's batches of a page go at a few
// hundred events a second; each batch takes less than the second Close
// keeps for closing the sink): the bridge forwards what it can, stops a
// second before the timeout with the batch in flight answered, exits 0,
// says how many it left, and leaves them in the spool file, which
// `hirebridge spool drain` then forwards. Every event ends on its topic once, in order per job: the
// batch in flight at the stop was answered, not cut short and written
// again by the drain.
func TestBinaryShutdownLeavesTheSpoolItCannotForward(t *testing.T) {
	slow(t, "SIGTERM to the spooling binary with more spooled than Kafka takes in the close timeout; drain forwards the rest")
	t.Parallel()
	const (
		n            = 3000
		closeTimeout = 5 * time.Second
		// The forwarding time is the close timeout less the second kept
		// for closing the sink (sinks/spool, maxCloseReserve): 4 s, 8
		// batches of 256 or so, fewer than n.
		reserve      = time.Second
		produceDelay = 500 * time.Millisecond
	)
	broker := kafkatest.Start(t)
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env = withEnv(env, "HIREBRIDGE_SINK", "kafka", "HIREBRIDGE_KAFKA_BROKERS", broker.Addr(),
		"HIREBRIDGE_SPOOL", "true", "HIREBRIDGE_SPOOL_AFTER", "300ms",
		"HIREBRIDGE_PUBLISH_TIMEOUT", "3s", "HIREBRIDGE_SINK_CLOSE_TIMEOUT", closeTimeout.String())
	proc := startBinary(t, env)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", proc.logs)
		}
	})

	broker.Stop()
	ids := postSpooled(t, proc.svc.webhookURL(), n, 8)
	broker.Start(t)
	// A produce request answered before this (the forwarder's first try
	// on the broker's return) only forwards a little more.
	delayProduce(broker, produceDelay)
	forwarding(t, proc, n)
	took := terminate(t, proc, 30*time.Second)
	// Loose: the time that counts is the spool's, below; a binary built
	// with -race sleeps a second at exit on top of it.
	if took > 2*closeTimeout {
		t.Errorf("the bridge took %s to exit with a close timeout of %s", took, closeTimeout)
	}

	// It forwarded until a second before the timeout, then stopped with
	// the batch in flight answered.
	began := spoolLogLine(t, proc.logs.String(), "stopping: forwarding what the spool holds")
	within := time.Duration(toFloat(field(began, "within"))) * time.Millisecond
	if began == nil || within <= closeTimeout-reserve-time.Second || within > closeTimeout-reserve {
		t.Errorf("the stop began with %v, want forwarding for up to %s (%s less the %s kept for the sink)",
			began, closeTimeout-reserve, closeTimeout, reserve)
	}
	dir := filepath.Join(env["HIREBRIDGE_DATA_DIR"], "spool")
	left := queuedIDs(t, dir)
	stopped := spoolLogLine(t, proc.logs.String(), "stopping with events in the spool")
	if len(left) == 0 || stopped == nil || field(stopped, "events") != float64(len(left)) {
		t.Fatalf("%d events left in the spool, and the log says %v; want some left, counted in the log", len(left), stopped)
	}
	if field(stopped, "cause") != "the time to stop ran out" {
		t.Errorf("the stop with events left says %v, want the time ran out", stopped)
	}
	forwarded := toFloat(field(stopped, "forwarded"))
	if forwarded <= 0 || forwarded+float64(len(left)) != toFloat(field(began, "events")) {
		t.Errorf("%v forwarded at the stop and %d left, want some forwarded and together the %v held", forwarded, len(left), field(began, "events"))
	}
	if spent := time.Duration(toFloat(field(stopped, "took"))) * time.Millisecond; spent >= closeTimeout {
		t.Errorf("forwarding at the stop took %s, want less than the close timeout %s", spent, closeTimeout)
	}
	t.Logf("SIGTERM with a close timeout of %s and produce requests answered after %s: %v of %v forwarded in %v ms, %d left in the spool, exit %s after the signal",
		closeTimeout, produceDelay, forwarded, field(began, "events"), field(stopped, "took"), len(left), took.Round(time.Millisecond))

	r := runBinary(t, env, "spool", "drain")
	if r.status != 0 || !strings.Contains(r.stdout, fmt.Sprintf("forwarded %d, dead-lettered 0, quarantined 0, left 0", len(left))) {
		t.Fatalf("drain of what SIGTERM left: exit %d\nstdout %s\nstderr %s", r.status, r.stdout, r.stderr)
	}
	checkTopic(t, broker, "hirempire.job_added", ids)
}

// delayProduce makes the broker answer each produce request after d,
// storing it as usual; requests on other connections go on meanwhile.
func delayProduce(broker *kafkatest.Cluster, d time.Duration) {
	kf := broker.Kfake()
	// Not handling the request keeps the function for the next.
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.SleepControl(func() { time.Sleep(d) })
		return nil, nil, false
	})
}

// toFloat is a JSON number's value, 0 for anything else.
func toFloat(v any) float64 {
	f, _ := v.(float64)
	return f
}

// forwarding waits until the spool of p, which held n events, forwarded
// some: the broker takes them again.
func forwarding(t *testing.T, p *process, n int) {
	t.Helper()
	waitFor(t, 15*time.Second, "forwarding to resume", func() bool {
		return metricValue(t, p.svc.admin, "hirebridge_spool_events") < float64(n)
	})
}

// postSpooled posts n distinct job events, keys senders at once, each its
// job's events in order, and fails unless every one is answered 202
// spooled; it returns their ids.
func postSpooled(t *testing.T, url string, n, keys int) []string {
	t.Helper()
	events := newKeyedEvents(t)
	c := loadClient(keys)
	ids := make([]string, n)
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			for i := k; i < n; i += keys {
				r, err := post(c, url, events.make(fmt.Sprintf("job_sigterm_%02d", k), i))
				if err != nil || r.Status != http.StatusAccepted || r.Body.Status != "spooled" {
					t.Errorf("event %d with the broker away: %d %s %v, want 202 spooled", i, r.Status, r.Raw, err)
					return
				}
				ids[i] = r.Body.ID
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return ids
}

// terminate sends SIGTERM, waits for the exit, fails unless it is 0, and
// returns how long the process took.
func terminate(t *testing.T, p *process, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.exited:
	case <-time.After(within):
		t.Fatalf("the binary did not exit within %s of SIGTERM\n%s", within, p.logs)
	}
	took := time.Since(start)
	if p.waitErr != nil {
		t.Errorf("exit after SIGTERM: %v, want 0\n%s", p.waitErr, p.logs)
	}
	return took
}

// spoolLogLine is the first JSON log line whose message starts with msg,
// nil when there is none.
func spoolLogLine(t *testing.T, logs, msg string) map[string]any {
	t.Helper()
	for line := range strings.Lines(logs) {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && strings.HasPrefix(fmt.Sprint(m["message"]), msg) {
			return m
		}
	}
	return nil
}

func field(line map[string]any, name string) any {
	if line == nil {
		return nil
	}
	return line[name]
}

// checkTopic fails unless topic holds each id exactly once, each job's
// events in the order they were sent.
func checkTopic(t *testing.T, broker *kafkatest.Cluster, topic string, ids []string) {
	t.Helper()
	count := map[string]int{}
	last := map[string]int{}
	recs := broker.Records(t, topic)
	for _, r := range recs {
		id, _ := r.Header("ce_id")
		count[id]++
		var ev struct {
			Seq int `json:"seq"`
			Job struct {
				ID string `json:"id"`
			} `json:"job"`
		}
		if err := json.Unmarshal(r.Value, &ev); err != nil {
			t.Fatalf("a record does not decode: %v", err)
		}
		if prev, ok := last[ev.Job.ID]; ok && ev.Seq <= prev {
			t.Errorf("%s event %d stored after its event %d", ev.Job.ID, ev.Seq, prev)
		}
		last[ev.Job.ID] = ev.Seq
	}
	for _, id := range ids {
		if count[id] != 1 {
			t.Errorf("event %s is on %s %d times, want once", id, topic, count[id])
		}
	}
	if len(recs) != len(ids) {
		t.Errorf("%d records on %s, want the %d events", len(recs), topic, len(ids))
	}
}
