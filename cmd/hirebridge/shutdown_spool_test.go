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
// HIREBRIDGE_SINK_CLOSE_TIMEOUT (Kafka, each lone record waiting its
// 20 ms batch timeout: at most 50 a second): the bridge forwards what it
// can, exits 0 within the budget, says how many it left, and leaves them
// in the spool file, which `hirebridge spool drain` then forwards. Every
// event ends on its topic once, in order per job.
func TestBinaryShutdownLeavesTheSpoolItCannotForward(t *testing.T) {
	slow(t, "SIGTERM to the spooling binary with more spooled than Kafka takes in the close timeout; drain forwards the rest")
	t.Parallel()
	const n = 200
	broker := kafkatest.Start(t)
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env = withEnv(env, "HIREBRIDGE_SINK", "kafka", "HIREBRIDGE_KAFKA_BROKERS", broker.Addr(),
		"HIREBRIDGE_KAFKA_BATCH_TIMEOUT", "20ms", "HIREBRIDGE_SPOOL", "true", "HIREBRIDGE_SPOOL_AFTER", "300ms",
		"HIREBRIDGE_PUBLISH_TIMEOUT", "3s", "HIREBRIDGE_SINK_CLOSE_TIMEOUT", "2s")
	proc := startBinary(t, env)

	broker.Stop()
	ids := postSpooled(t, proc.svc.webhookURL(), n, 4)
	broker.Start(t)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", proc.logs)
		}
	})
	forwarding(t, proc, n)
	took := terminate(t, proc, 30*time.Second)
	if took > 10*time.Second {
		t.Errorf("the bridge took %s to exit with a close timeout of 2s", took)
	}

	dir := filepath.Join(env["HIREBRIDGE_DATA_DIR"], "spool")
	left := queuedIDs(t, dir)
	stopped := spoolLogLine(t, proc.logs.String(), "stopping with events in the spool")
	if len(left) == 0 || stopped == nil || field(stopped, "events") != float64(len(left)) {
		t.Fatalf("%d events left in the spool, and the log says %v; want some left, counted in the log:\n%s", len(left), stopped, proc.logs)
	}
	t.Logf("SIGTERM with a close timeout of 2s: %v forwarded, %d left in the spool (%v), exit %s after the signal",
		field(stopped, "forwarded"), len(left), stopped["cause"], took.Round(time.Millisecond))

	r := runBinary(t, env, "spool", "drain")
	if r.status != 0 || !strings.Contains(r.stdout, fmt.Sprintf("forwarded %d, dead-lettered 0, quarantined 0, left 0", len(left))) {
		t.Fatalf("drain of what SIGTERM left: exit %d\nstdout %s\nstderr %s", r.status, r.stdout, r.stderr)
	}
	checkTopic(t, broker, "hirempire.job_added", ids)
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
