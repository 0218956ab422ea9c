package spool_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// Closing a spool that holds events while the broker takes them forwards
// every one before Close returns, in order, each once, and leaves the
// file empty: a pod being removed leaves nothing behind.
func TestCloseForwardsWhatTheSpoolHolds(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips Close forwarding a spool of 2,000 events before it returns")
	}
	srv := natstest.Start(t)
	dir := t.TempDir()
	const n = 2000
	sent := leaveSpooledByKeys(t, dir, n, 8)

	var logs syncbuf.Buffer
	broker, err := natsjs.Open(context.Background(), natsConfig(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	sp, err := spool.Open(checkedConfig(dir, &logs), broker)
	if err != nil {
		t.Fatal(err)
	}
	// At once, as SIGTERM right after a start: the forwarder has barely
	// begun.
	held, _ := sp.Held()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := sp.Close(ctx); err != nil {
		t.Errorf("Close: %v, want nil", err)
	}
	took := time.Since(start)
	if left, _ := sp.Held(); left != 0 {
		t.Errorf("%d events left in the spool after Close with the broker there", left)
	}
	got := streamContents(t, srv.URL())
	checkOnceEach(t, got.ids, sent)
	noGarbage(t, got, sent)
	var bodies [][]byte
	for _, id := range got.ids {
		bodies = append(bodies, got.bodies[id])
	}
	checkKeyOrder(t, bodies)
	if !strings.Contains(logs.String(), "the spool is forwarded") {
		t.Errorf("no log line saying the spool was forwarded before stopping:\n%s", logs.String())
	}
	t.Logf("Close forwarded %d events (%d held when it began) in %s", n, held, took.Round(time.Millisecond))
}

// Close's time runs out while the broker takes events slowly (Kafka
// answering each produce request after 100 ms, and the forwarder one at a
// time, its sink's batches hidden): Close stops forwarding before its
// deadline, leaving time to close the broker's sink, so it returns no
// error; what it did not forward stays in the file, and the next drain
// (in batches) forwards it. Nothing is lost, nothing is stored twice.
func TestCloseLeavesWhatItCannotForwardInTime(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips Close running out of time on a slow Kafka: clean, the rest left, then drained")
	}
	broker := kafkatest.Start(t)
	dir := t.TempDir()
	const n = 60
	sent := leaveSpooled(t, dir, n)

	// At most 10 records a second, forwarded one at a time: the spool
	// takes at least 6 s to forward, Close has 2.
	slowProduce(broker, 100*time.Millisecond)
	var logs syncbuf.Buffer
	sp, err := spool.Open(checkedConfig(dir, &logs), oneAtATime{openKafka(t, broker.Addr())})
	if err != nil {
		t.Fatal(err)
	}
	const budget = 2 * time.Second
	ctx, cancel := context.WithTimeout(context.Background(), budget)
	defer cancel()
	start := time.Now()
	if err := sp.Close(ctx); err != nil {
		t.Errorf("Close: %v, want nil: the time kept for closing the broker's sink was not kept", err)
	}
	// Ended near its deadline, not after forwarding everything (6 s or
	// more); the margin is for a loaded machine's commits.
	if took := time.Since(start); took > budget+3*time.Second {
		t.Errorf("Close took %s with a budget of %s", took, budget)
	}
	left, _ := sp.Held()
	if left == 0 || left > n {
		t.Fatalf("%d events left in the spool, want some of the %d", left, n)
	}
	if !strings.Contains(logs.String(), "stopping with events in the spool") || !strings.Contains(logs.String(), "the time to stop ran out") {
		t.Errorf("no log line saying events are left because the time ran out:\n%s", logs.String())
	}

	drained, err := spool.Drain(context.Background(), checkedConfig(dir, &logs), openKafka(t, broker.Addr()))
	if err != nil {
		t.Fatalf("Drain: %v", err)
	}
	if drained.Forwarded != left || drained.Left != 0 || drained.Halted != nil {
		t.Errorf("Drain: %+v, want the %d events left forwarded", drained, left)
	}
	recs := broker.Records(t, testPrefix+".applicant_applied")
	var ids []string
	var bodies [][]byte
	for _, r := range recs {
		id, _ := r.Header("ce_id")
		ids = append(ids, id)
		bodies = append(bodies, r.Value)
	}
	checkOnceEach(t, ids, sent)
	checkKeyOrder(t, bodies)
	t.Logf("Close with %s on Kafka forwarded %d of %d, left %d; the drain forwarded them in %s",
		budget, n-int(left), n, left, drained.Took.Round(time.Millisecond))
}

// slowProduce makes the broker answer each produce request after d (it
// stores it as usual).
func slowProduce(broker *kafkatest.Cluster, d time.Duration) {
	kf := broker.Kfake()
	// Not handling the request keeps the function for the next.
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.SleepControl(func() { time.Sleep(d) })
		return nil, nil, false
	})
}

// leaveSpooledByKeys is leaveSpooled with keys senders at once, each its
// key's events in order: many events written in a few commits.
func leaveSpooledByKeys(t *testing.T, dir string, n, keys int) []*sinks.Message {
	t.Helper()
	away := lazy(t, func(context.Context) (sinks.Sink, error) { return nil, fmt.Errorf("the broker is away") })
	sp, err := spool.Open(checkedConfig(dir, &syncbuf.Buffer{}), away)
	if err != nil {
		t.Fatal(err)
	}
	sent := make([]*sinks.Message, n)
	var wg sync.WaitGroup
	for k := range keys {
		wg.Go(func() {
			for i := k; i < n; i += keys {
				m := checkedEvent(fmt.Sprintf("app-%02d", k), i)
				if ack, err := publishWithin(sp, m, 10*time.Second); err != nil || !ack.Spooled {
					t.Errorf("event %d: %+v, %v; want spooled", i, ack, err)
					return
				}
				sent[i] = m
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_ = sp.Close(ctx)
	if t.Failed() {
		t.FailNow()
	}
	return sent
}

// openKafka opens a Kafka sink on addr.
func openKafka(t *testing.T, addr string) sinks.Sink {
	t.Helper()
	s, err := kafka.Open(context.Background(), kafka.Config{
		Brokers: []string{addr}, Prefix: testPrefix, KnownTypes: []string{"applicant_applied"},
		Partitions: 3, AckTimeout: 2 * time.Second, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// checkKeyOrder fails unless the bodies of each key (checkedEvent's) come
// in ascending n.
func checkKeyOrder(t *testing.T, bodies [][]byte) {
	t.Helper()
	last := map[string]int{}
	for _, b := range bodies {
		var ev struct {
			Key string `json:"key"`
			N   int    `json:"n"`
		}
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("a stored body does not decode: %v", err)
		}
		if prev, seen := last[ev.Key]; seen && ev.N <= prev {
			t.Errorf("%s n=%d stored after n=%d: per-key order broken", ev.Key, ev.N, prev)
		}
		last[ev.Key] = ev.N
	}
}

// checkOnceEach fails unless ids hold every sent event exactly once, and
// nothing else.
func checkOnceEach(t *testing.T, ids []string, sent []*sinks.Message) {
	t.Helper()
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	for _, m := range sent {
		if c := count[m.ID]; c != 1 {
			t.Errorf("%s is on the broker %d times, want once", m.ID, c)
		}
	}
	if len(ids) != len(sent) {
		t.Errorf("%d messages on the broker, want the %d sent", len(ids), len(sent))
	}
}
