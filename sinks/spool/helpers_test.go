package spool_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

const (
	testPrefix = "hirempire"
	testStream = "HB_SPOOL"
)

// natsConfig is a NATS sink for tests: quick reconnects, so a restarted
// server is found again within the test's patience.
func natsConfig(url string) natsjs.Config {
	return natsjs.Config{
		URLs: url, Stream: testStream, Prefix: testPrefix, StreamReplicas: 1,
		DuplicateWindow: time.Minute, RememberIDs: 100_000, RememberFor: 10 * time.Minute,
		MaxPending: 1024, AckTimeout: 2 * time.Second,
		ReconnectWait: 50 * time.Millisecond,
	}
}

// lazyNATS opens the NATS sink as the binary does with a spool: in the
// background when the server does not answer.
func lazyNATS(t testing.TB, url string) *spool.Lazy {
	t.Helper()
	return lazy(t, func(ctx context.Context) (sinks.Sink, error) {
		return natsjs.Open(ctx, natsConfig(url))
	})
}

// lazy opens a sink with open, in the background when it fails.
func lazy(t testing.TB, open func(context.Context) (sinks.Sink, error)) *spool.Lazy {
	t.Helper()
	l, err := spool.OpenLazy(context.Background(), open, nil, 2*time.Second, 100*time.Millisecond, zerolog.Nop())
	if err != nil {
		t.Fatalf("OpenLazy: %v", err)
	}
	return l
}

// spoolConfig is a spool in dir that gives the broker after to answer.
func spoolConfig(dir string, after time.Duration, logs *syncbuf.Buffer) spool.Config {
	return spool.Config{
		On: true, Dir: dir, MaxBytes: 1 << 30, After: after,
		AckTimeout: 2 * time.Second, DeadLetters: testPrefix + ".dlq", Log: zerolog.New(logs),
	}
}

// openSpool opens a spool closed (with its inner sink) when the test ends.
func openSpool(t testing.TB, cfg spool.Config, inner sinks.Sink) *spool.Spool {
	t.Helper()
	sp, err := spool.Open(cfg, inner)
	if err != nil {
		t.Fatalf("opening the spool: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = sp.Close(ctx)
	})
	return sp
}

// event is the n-th event of an entity key, as the bridge builds one; the
// body carries the key and n, to check the order per key.
func event(key string, n int) *sinks.Message {
	id := fmt.Sprintf("%s-%05d", key, n)
	return &sinks.Message{
		Topic: testPrefix + ".applicant_applied",
		ID:    id,
		Key:   key,
		Body:  []byte(`{"event":"applicant_applied","key":"` + key + `","n":` + strconv.Itoa(n) + `}`),
		Event: &sinks.CloudEvent{
			Type: "com.hirempire.applicant_applied", Source: "https://app.hirempire.com",
			Time: "2026-01-30T00:14:56.395Z", Subject: key,
		},
		Headers: []sinks.Header{{Name: "traceparent", Value: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}},
	}
}

// tally is what a sender that never retries was answered.
type tally struct {
	mu        sync.Mutex
	published []string // ids answered stored by the broker (or duplicate)
	spooled   []string // ids answered spooled
	failed    []string // errors: a sender that never retries lost these
}

func (ta *tally) record(id string, ack sinks.Ack, err error) {
	ta.mu.Lock()
	defer ta.mu.Unlock()
	switch {
	case err != nil:
		ta.failed = append(ta.failed, id+": "+err.Error())
	case ack.Spooled:
		ta.spooled = append(ta.spooled, id)
	default:
		ta.published = append(ta.published, id)
	}
}

// send runs one sender per key, each posting its key's events in order,
// one after the other, never retrying, until stop is closed. It returns
// once they all stopped.
func send(t testing.TB, s sinks.Sink, keys int, stop <-chan struct{}, ta *tally, sent *atomic.Int64) {
	var wg sync.WaitGroup
	for k := range keys {
		key := fmt.Sprintf("app-%02d", k)
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				m := event(key, n)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				ack, err := s.Publish(ctx, m)
				cancel()
				sent.Add(1)
				ta.record(m.ID, ack, err)
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// checkOrder fails unless, for each key, the ids appear in ascending n.
func checkOrder(t testing.TB, ids []string) {
	t.Helper()
	last := map[string]int{}
	for _, id := range ids {
		cut := strings.LastIndexByte(id, '-')
		if cut < 0 {
			continue
		}
		key := id[:cut]
		i, err := strconv.Atoi(id[cut+1:])
		if err != nil {
			continue
		}
		if prev, seen := last[key]; seen && i <= prev {
			t.Errorf("%s stored after n=%d of its key: per-key order broken", id, prev)
		}
		last[key] = i
	}
}

// waitEmpty waits until the spool holds nothing.
func waitEmpty(t testing.TB, sp *spool.Spool, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		n, _ := sp.Held()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the spool still holds %d events after %s", n, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// streamIDs reads every message id of the stream, in stream order.
func streamIDs(t testing.TB, url string) []string { return streamContents(t, url).ids }

// stored is what the stream holds, id to body, in stream order.
type stored struct {
	ids     []string
	bodies  map[string][]byte
	headers map[string]nats.Header
}

func streamContents(t testing.TB, url string) stored {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := js.Stream(ctx, testStream)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	s := stored{bodies: map[string][]byte{}, headers: map[string]nats.Header{}}
	info := st.CachedInfo().State
	for seq := info.FirstSeq; info.Msgs > 0 && seq <= info.LastSeq; seq++ {
		m, err := st.GetMsg(ctx, seq)
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			continue
		}
		if err != nil {
			t.Fatalf("message %d: %v", seq, err)
		}
		id := m.Header.Get(nats.MsgIdHdr)
		s.ids = append(s.ids, id)
		s.bodies[id] = m.Data
		s.headers[id] = m.Header
	}
	return s
}
