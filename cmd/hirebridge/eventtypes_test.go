package main

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

// undocumentedEvent is an event of the undocumented type name.
func undocumentedEvent(name string) []byte {
	return []byte(fmt.Sprintf(`{"event":%q,"timestamp":"2026-01-30T00:14:56Z","candidate":{"id":"cand-1"}}`, name))
}

// capEnv is a service on the NATS server at url, strict mode off, with a
// cap of max undocumented types.
func capEnv(t *testing.T, url string, max int) map[string]string {
	env := baseEnv(t, url)
	env["HIREBRIDGE_STRICT"] = "false"
	env["HIREBRIDGE_MAX_UNDOCUMENTED_TYPES"] = fmt.Sprint(max)
	return env
}

// The cap on the webhook path, end to end: new undocumented types are
// published up to it; the next is kept on the dead letters (reason
// undeliverable, a detail naming the variable), answered 202
// dead_lettered; replay leaves it while the cap holds, and publishes it
// once the cap is raised.
func TestUndocumentedTypesCapAndReplay(t *testing.T) {
	t.Parallel()
	srv := natstest.Start(t)
	env := capEnv(t, srv.URL(), 2)
	svc := startService(t, env)
	for _, name := range []string{"first_new", "second_new"} {
		if r := mustPost(t, svc.webhookURL(), undocumentedEvent(name)); r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("%s within the cap: %d %s", name, r.Status, r.Raw)
		}
	}
	r := mustPost(t, svc.webhookURL(), undocumentedEvent("third_new"))
	if r.Status != http.StatusAccepted || r.Body.Status != "dead_lettered" {
		t.Fatalf("a type beyond the cap: %d %s, want 202 dead_lettered", r.Status, r.Raw)
	}
	if r := mustPost(t, svc.webhookURL(), undocumentedEvent("first_new")); r.Status != http.StatusOK {
		t.Errorf("a known type at the cap: %d %s", r.Status, r.Raw)
	}
	if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK {
		t.Errorf("a documented type at the cap: %d %s", r.Status, r.Raw)
	}
	var dead []storedMsg
	for _, m := range readStream(t, srv.URL(), "HIREMPIRE") {
		if m.Subject == "hirempire.dlq" {
			dead = append(dead, m)
		}
	}
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want the third type's", len(dead))
	}
	if got := dead[0].Header.Get("hirebridge-reason"); got != "undeliverable" {
		t.Errorf("reason %q", got)
	}
	if got := dead[0].Header.Get("hirebridge-original-topic"); got != "hirempire.third_new" {
		t.Errorf("original topic %q", got)
	}
	if d := dead[0].Header.Get("hirebridge-detail"); !strings.Contains(d, typecap.Variable) || !strings.Contains(d, " 2 ") {
		t.Errorf("the detail %q names neither %s nor the cap", d, typecap.Variable)
	}
	_, metrics := get(svc.admin + "/metrics")
	for _, want := range []string{
		"hirebridge_undocumented_types 2", "hirebridge_undocumented_types_max 2",
		"hirebridge_undocumented_types_refused_total 1",
	} {
		if !strings.Contains(metrics, want+"\n") {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	wantOutcomes(t, "replay at the cap", runReplay(t, env, "-reason", "undeliverable"), 1, map[string]int{"refused": 1})
	raised := withEnv(env, "HIREBRIDGE_MAX_UNDOCUMENTED_TYPES", "3")
	wantOutcomes(t, "replay with the cap raised", runReplay(t, raised, "-reason", "undeliverable"), 1, map[string]int{"published": 1})
	n := 0
	for _, m := range readStream(t, srv.URL(), "HIREMPIRE") {
		if m.Subject == "hirempire.third_new" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d messages on hirempire.third_new after the replay, want 1", n)
	}
}

// floodEnv quiets what grows with events rather than names, so what the
// flood measures is what the names cost: the request log (kept in memory
// by the tests) and the duplicate windows, bounded by their own settings.
func floodEnv(env map[string]string) map[string]string {
	env["HIREBRIDGE_LOG_LEVEL"] = "warn"
	env["HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE"] = "1000"
	env["HIREBRIDGE_KAFKA_DEDUP_WINDOW_SIZE"] = "1000"
	return env
}

// floodCap is the cap in the flood tests; floodNames the new names sent.
const (
	floodCap   = 100
	floodNames = 20_000
)

// footprint is the process's goroutines and live heap after a collection.
type footprint struct {
	goroutines int
	heap       uint64
}

func measure() footprint {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return footprint{runtime.NumGoroutine(), ms.HeapAlloc}
}

func (u footprint) String() string {
	return fmt.Sprintf("%d goroutines, %.1f MiB heap", u.goroutines, float64(u.heap)/(1<<20))
}

// flood posts floodNames events of distinct new types, concurrently, and
// measures after the first 1,000 and after all: the cap holds, everything
// beyond it is answered 202 dead_lettered, and neither goroutines nor the
// heap grow with the names.
func flood(t *testing.T, svc *service) {
	t.Helper()
	const senders = 32
	tr := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	var published, deadLettered atomic.Int64
	send := func(from, to int) {
		var wg sync.WaitGroup
		next := atomic.Int64{}
		next.Store(int64(from))
		for range senders {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := int(next.Add(1) - 1)
					if i >= to {
						return
					}
					r, err := post(c, svc.webhookURL(), undocumentedEvent(fmt.Sprintf("flood_%05d", i)))
					switch {
					case err != nil:
						t.Errorf("flood_%05d: %v", i, err)
						return
					case r.Status == http.StatusOK && r.Body.Status == "published":
						published.Add(1)
					case r.Status == http.StatusAccepted && r.Body.Status == "dead_lettered":
						deadLettered.Add(1)
					default:
						t.Errorf("flood_%05d: %d %s", i, r.Status, r.Raw)
						return
					}
				}
			}()
		}
		wg.Wait()
	}
	start := time.Now()
	send(0, 1000)
	at1k := measure()
	send(1000, floodNames)
	at20k := measure()
	t.Logf("%d new names in %v: at 1,000 names %v; at %d names %v", floodNames, time.Since(start).Round(time.Millisecond), at1k, floodNames, at20k)
	if published.Load() != floodCap || deadLettered.Load() != floodNames-floodCap {
		t.Errorf("%d published, %d dead-lettered; want %d and %d", published.Load(), deadLettered.Load(), floodCap, floodNames-floodCap)
	}
	if grew := at20k.goroutines - at1k.goroutines; grew > 20 {
		t.Errorf("goroutines grew by %d from 1,000 to %d names", grew, floodNames)
	}
	if grew := int64(at20k.heap) - int64(at1k.heap); grew > 4<<20 {
		t.Errorf("the heap grew by %d bytes from 1,000 to %d names", grew, floodNames)
	}
}

// undocumentedOnBroker counts the destinations under hirempire. that are
// neither a documented type's nor the dead letters'.
func undocumentedOnBroker(names []string) int {
	n := 0
	for _, name := range names {
		if strings.HasPrefix(name, "hirempire.flood_") {
			n++
		}
	}
	return n
}

// 20,000 new names on NATS: exactly the cap's subjects on the stream, the
// rest on the dead letters with the reason and the detail.
func TestUndocumentedTypesFloodNATS(t *testing.T) {
	slow(t, "20,000 new event names through the bridge on NATS, against the cap on undocumented types")
	// Not parallel, and the server in a process of its own: the test
	// measures this process's goroutines and heap, the bridge's alone.
	srv := natstest.StartCluster(t, 3)
	svc := startService(t, floodEnv(capEnv(t, srv.URLs(), floodCap)))
	flood(t, svc)

	nc, err := nats.Connect(srv.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, "HIREMPIRE")
	if err != nil {
		t.Fatal(err)
	}
	info, err := st.Info(ctx, jetstream.WithSubjectFilter("hirempire.>"))
	if err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for s := range info.State.Subjects {
		subjects = append(subjects, s)
	}
	if n := undocumentedOnBroker(subjects); n != floodCap {
		t.Errorf("%d undocumented subjects on the stream, want the cap, %d", n, floodCap)
	}
	if n := info.State.Subjects["hirempire.dlq"]; n != floodNames-floodCap {
		t.Errorf("%d dead letters, want %d", n, floodNames-floodCap)
	}
	last, err := st.GetLastMsgForSubject(ctx, "hirempire.dlq")
	if err != nil {
		t.Fatal(err)
	}
	if r, d := last.Header.Get("hirebridge-reason"), last.Header.Get("hirebridge-detail"); r != "undeliverable" || !strings.Contains(d, typecap.Variable) {
		t.Errorf("a dead letter's reason %q, detail %q", r, d)
	}
}

// The same on Kafka: exactly the cap's topics created.
func TestUndocumentedTypesFloodKafka(t *testing.T) {
	slow(t, "20,000 new event names through the bridge on Kafka, against the cap on undocumented types")
	// Not parallel, and the broker in a process of its own: the test
	// measures this process's goroutines and heap, the bridge's alone.
	broker := kafkatest.StartProcess(t)
	env := capEnv(t, "", floodCap)
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = broker.Addr()
	svc := startService(t, floodEnv(env))
	flood(t, svc)

	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	topics, err := kadm.NewClient(cl).ListTopics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if n := undocumentedOnBroker(topics.Names()); n != floodCap {
		t.Errorf("%d undocumented topics on the cluster, want the cap, %d", n, floodCap)
	}
	recs := broker.Records(t, "hirempire.dlq")
	if len(recs) != floodNames-floodCap {
		t.Errorf("%d dead letters, want %d", len(recs), floodNames-floodCap)
	}
	if len(recs) > 0 {
		r, _ := recs[0].Header("hirebridge-reason")
		d, _ := recs[0].Header("hirebridge-detail")
		if r != "undeliverable" || !strings.Contains(d, typecap.Variable) {
			t.Errorf("a dead letter's reason %q, detail %q", r, d)
		}
	}
}
