package spool_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// spoolAway fills a spool in dir with n events over keys keys, the broker
// away, and closes it.
func spoolAway(t *testing.T, dir string, keys, n int) []*sinks.Message {
	t.Helper()
	away := lazy(t, func(context.Context) (sinks.Sink, error) { return nil, errors.New("the broker is away") })
	sp, err := spool.Open(spoolConfig(dir, time.Second, &syncbuf.Buffer{}), away)
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]*sinks.Message, n)
	for i := range ms {
		ms[i] = event(fmt.Sprintf("app-%02d", i%keys), i/keys)
		if ack, err := publishWithin(sp, ms[i], 10*time.Second); err != nil || !ack.Spooled {
			t.Fatalf("spooling %s: %+v, %v", ms[i].ID, ack, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sp.Close(ctx); err != nil {
		t.Fatal(err)
	}
	return ms
}

// A backlog on Kafka is forwarded in batches, many records a produce
// request, and a partition's request refused in the middle of it costs
// nothing: every event on its topic once, in order per key.
func TestKafkaForwardsInBatches(t *testing.T) {
	dir := t.TempDir()
	ms := spoolAway(t, dir, 12, 600)

	cluster := kafkatest.Start(t)
	kf := cluster.Kfake()
	var produces atomic.Int64
	// Not handling a request keeps a control function (KeepControl would
	// keep it even when it handles one).
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		produces.Add(1)
		return nil, nil, false
	})
	// The third produce request is refused, storing nothing: the one after
	// the topic is made, in the middle of the first batch.
	var seen atomic.Int64
	kf.ControlKey(int16(kmsg.Produce), func(r kmsg.Request) (kmsg.Response, error, bool) {
		if seen.Add(1) < 3 {
			return nil, nil, false
		}
		req := r.(*kmsg.ProduceRequest)
		resp := req.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range req.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic, st.TopicID = rt.Topic, rt.TopicID
			for _, rp := range rt.Partitions {
				p := kmsg.NewProduceResponseTopicPartition()
				p.Partition, p.ErrorCode = rp.Partition, kerr.NotEnoughReplicas.Code
				st.Partitions = append(st.Partitions, p)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	sink, err := kafka.Open(context.Background(), kafka.Config{
		Brokers: []string{cluster.Addr()}, Prefix: testPrefix, KnownTypes: []string{"applicant_applied"},
		Partitions: 3, AckTimeout: 2 * time.Second, Log: zerolog.Nop(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var logs syncbuf.Buffer
	sp := openSpool(t, spoolConfig(dir, time.Second, &logs), sink)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("the spool's log:\n%s", logs.String())
		}
	})
	waitEmpty(t, sp, 30*time.Second)
	if seen.Load() < 3 {
		t.Fatalf("%d produce requests: none was refused, the test proves nothing", seen.Load())
	}

	recs := cluster.Records(t, testPrefix+".applicant_applied")
	count := map[string]int{}
	var ids []string
	for _, r := range recs {
		id, _ := r.Header("ce_id")
		ids = append(ids, id)
		count[id]++
	}
	for _, m := range ms {
		if c := count[m.ID]; c != 1 {
			t.Errorf("%s is on the topic %d times, want once", m.ID, c)
		}
	}
	checkOrder(t, ids)
	if n := produces.Load(); n > int64(len(ms)/20) {
		t.Errorf("%d produce requests for %d records: not forwarded in batches", n, len(ms))
	}
	t.Logf("%d records forwarded in %d produce requests", len(recs), produces.Load())
}

// A backlog on NATS is forwarded in order, each event once, also when
// the server stops in the middle of it and comes back.
func TestNATSForwardsInBatches(t *testing.T) {
	dir := t.TempDir()
	ms := spoolAway(t, dir, 8, 1000)
	srv := natstest.Start(t)
	sp := openSpool(t, spoolConfig(dir, time.Second, &syncbuf.Buffer{}), lazyNATS(t, srv.URL()))
	deadline := time.Now().Add(20 * time.Second)
	for {
		if n, _ := sp.Held(); n < int64(len(ms)) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	srv.Stop()
	held, _ := sp.Held()
	time.Sleep(300 * time.Millisecond)
	srv.Restart(t)
	waitEmpty(t, sp, 30*time.Second)
	if held == 0 {
		t.Log("the spool was empty before the server stopped: only the order is checked")
	}

	ids := streamIDs(t, srv.URL())
	count := map[string]int{}
	for _, id := range ids {
		count[id]++
	}
	for _, m := range ms {
		if c := count[m.ID]; c != 1 {
			t.Errorf("%s is in the stream %d times, want once", m.ID, c)
		}
	}
	if len(ids) != len(ms) {
		t.Errorf("the stream holds %d messages, want %d", len(ids), len(ms))
	}
	checkOrder(t, ids)
	t.Logf("stopped with %d of %d held", held, len(ms))
}
