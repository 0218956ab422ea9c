package natsjs_test

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// batchOf is n events of two types, interleaved, with ids "<tag>-<i>".
func batchOf(tag string, n int) []*sinks.Message {
	ms := make([]*sinks.Message, n)
	for i := range ms {
		name := []string{"applicant_applied", "job_created"}[i%2]
		ms[i] = event(fmt.Sprintf("%s-%04d", tag, i), name)
	}
	return ms
}

// streamOrder is the Nats-Msg-Ids of the stream, in stream order.
func streamOrder(t *testing.T, url string) []string {
	t.Helper()
	var ids []string
	for _, m := range storedMsgs(t, inspect(t, url), testStream) {
		ids = append(ids, m.Header.Get(nats.MsgIdHdr))
	}
	return ids
}

// A batch is stored whole, in slice order, each message answered new;
// sent again by another process (nothing remembered locally), JetStream
// answers each a duplicate and stores none twice.
func TestPublishBatchStoresInOrderOnce(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	ms := batchOf("b", 600)
	acks, err := s.PublishBatch(ctxFor(t, 10*time.Second), ms)
	if err != nil || len(acks) != len(ms) {
		t.Fatalf("PublishBatch: %d acks, %v; want %d and no error", len(acks), err, len(ms))
	}
	for i, a := range acks {
		if a.Duplicate {
			t.Fatalf("message %d answered duplicate on its first publish", i)
		}
	}
	ids := streamOrder(t, srv.URL())
	if len(ids) != len(ms) {
		t.Fatalf("the stream holds %d messages, want %d", len(ids), len(ms))
	}
	for i, id := range ids {
		if id != ms[i].ID {
			t.Fatalf("stream position %d holds %s, want %s: not in slice order", i, id, ms[i].ID)
		}
	}

	again := open(t, config(srv.URL()))
	acks, err = again.PublishBatch(ctxFor(t, 10*time.Second), ms)
	if err != nil || len(acks) != len(ms) {
		t.Fatalf("PublishBatch again: %d acks, %v", len(acks), err)
	}
	for i, a := range acks {
		if !a.Duplicate {
			t.Fatalf("message %d sent again not answered duplicate", i)
		}
	}
	if n := len(streamOrder(t, srv.URL())); n != len(ms) {
		t.Fatalf("the stream holds %d messages after the batch was sent again, want %d", n, len(ms))
	}
}

// A message the server will never take stops the batch there: the prefix
// before it is acknowledged, its error says too large, and nothing after it
// was sent (so nothing after it can be stored ahead of it).
func TestPublishBatchStopsAtTheFirstFailure(t *testing.T) {
	opts := jetStreamOptions(t)
	opts.MaxPayload = 8 << 10
	url := startServer(t, opts)
	s := open(t, config(url))
	ms := batchOf("f", 50)
	big := *ms[20]
	big.Body = bytes.Repeat([]byte{'x'}, 16<<10)
	ms[20] = &big
	acks, err := s.PublishBatch(ctxFor(t, 10*time.Second), ms)
	if len(acks) != 20 || !errors.Is(err, sinks.ErrTooLarge) {
		t.Fatalf("PublishBatch with a too large message at 20: %d acks, %v; want 20 and ErrTooLarge", len(acks), err)
	}
	ids := streamOrder(t, url)
	if len(ids) != 20 || ids[19] != ms[19].ID {
		t.Fatalf("the stream holds %v, want the 20 messages before the too large one", ids)
	}
	// The rest goes on.
	acks, err = s.PublishBatch(ctxFor(t, 10*time.Second), ms[21:])
	if err != nil || len(acks) != len(ms)-21 {
		t.Fatalf("PublishBatch of the rest: %d acks, %v", len(acks), err)
	}
}

// A stopped server: the batch fails at once, unavailable, nothing
// acknowledged; once the server is back the same batch is stored.
func TestPublishBatchServerAway(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	ms := batchOf("a", 100)
	srv.Stop()
	acks, err := s.PublishBatch(ctxFor(t, 10*time.Second), ms)
	if len(acks) != 0 || !errors.Is(err, sinks.ErrUnavailable) {
		t.Fatalf("PublishBatch to a stopped server: %d acks, %v; want none and ErrUnavailable", len(acks), err)
	}
	srv.Restart(t)
	var stored []sinks.Ack
	eventually(t, 15*time.Second, "the batch stored after the restart", func() bool {
		acks, err := s.PublishBatch(ctxFor(t, 5*time.Second), ms[len(stored):])
		stored = append(stored, acks...)
		return err == nil && len(stored) == len(ms)
	})
	if ids := streamOrder(t, srv.URL()); len(ids) != len(ms) {
		t.Fatalf("the stream holds %d messages, want %d", len(ids), len(ms))
	}
}

// A closed sink refuses a batch.
func TestPublishBatchAfterClose(t *testing.T) {
	srv := natstest.Start(t)
	s, err := natsjs.Open(ctxFor(t, 10*time.Second), config(srv.URL()))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.PublishBatch(ctxFor(t, time.Second), batchOf("c", 2)); !errors.Is(err, sinks.ErrClosed) {
		t.Fatalf("PublishBatch after Close: %v, want ErrClosed", err)
	}
}

// A message to a subject the credentials may not publish to, in the middle
// of a batch: the batch answers promptly (the server's denial, not an ack
// timeout), with the prefix before it acknowledged, even when the denial
// came while an earlier message's ack was still awaited.
func TestPublishBatchDeniedSubjectPromptly(t *testing.T) {
	srv, _ := startWithConf(t, permissionsConf(t.TempDir(), deniedTopic))
	s := open(t, deniedConfig(srv.ClientURL()))
	ms := batchOf("d", 200)
	denied := event("d-denied", "forbidden_event")
	ms[150] = denied
	start := time.Now()
	acks, err := s.PublishBatch(ctxFor(t, 30*time.Second), ms)
	took := time.Since(start)
	if len(acks) != 150 || !errors.Is(err, sinks.ErrRefused) {
		t.Fatalf("PublishBatch with a denied subject at 150: %d acks, %v; want 150 and ErrRefused", len(acks), err)
	}
	if took > refusedPromptly {
		t.Errorf("PublishBatch took %s to find the denied subject, want within %s", took.Round(time.Millisecond), refusedPromptly)
	}
}
