//go:build linux

package natsjs_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

// clusterPublishTimeout is the bridge's default publish timeout: what a
// request waits at most, which a mere leader change must not use up.
const clusterPublishTimeout = 10 * time.Second

// outcome is one publish of the load and what it was answered.
type outcome struct {
	id string
	// retry is how many times the sender had sent this id before: a
	// sender retries a failed event with the same id, as Hirempire would.
	retry      int
	start, end time.Time
	err        error
	duplicate  bool
}

// clusterLoad is senders publishing distinct events through a sink, each
// retrying a failed one with the same id until stopped, every outcome
// recorded.
type clusterLoad struct {
	mu       sync.Mutex
	outcomes []outcome
	acked    int
	stop     func()
	wg       sync.WaitGroup
	stopped  chan struct{}
}

// startClusterLoad starts the senders; they stop at finish, or when the
// test ends.
func startClusterLoad(t *testing.T, s *natsjs.Sink, senders int) *clusterLoad {
	l := &clusterLoad{stopped: make(chan struct{})}
	l.stop = sync.OnceFunc(func() { close(l.stopped); l.wg.Wait() })
	for g := range senders {
		l.wg.Go(func() { l.send(s, g) })
	}
	t.Cleanup(l.stop)
	return l
}

func (l *clusterLoad) send(s *natsjs.Sink, g int) {
	for n, retry := 0, 0; ; {
		select {
		case <-l.stopped:
			return
		default:
		}
		id := fmt.Sprintf("s%d-%06d", g, n)
		ctx, cancel := context.WithTimeout(context.Background(), clusterPublishTimeout)
		o := outcome{id: id, retry: retry, start: time.Now()}
		ack, err := s.Publish(ctx, event(id, "job_added"))
		cancel()
		o.end, o.err, o.duplicate = time.Now(), err, ack.Duplicate
		l.mu.Lock()
		l.outcomes = append(l.outcomes, o)
		if err == nil {
			l.acked++
		}
		l.mu.Unlock()
		if err == nil {
			n, retry = n+1, 0
			// A steady rate rather than as fast as the CPU allows: the
			// race detector and the three servers share two cores.
			time.Sleep(5 * time.Millisecond)
		} else {
			retry++
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// ackedCount is how many publishes were acknowledged so far.
func (l *clusterLoad) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.acked
}

// waitAcked waits until n more publishes than now are acknowledged.
func (l *clusterLoad) waitAcked(t *testing.T, n int, within time.Duration, what string) {
	t.Helper()
	want := l.ackedCount() + n
	eventually(t, within, what, func() bool { return l.ackedCount() >= want })
}

func (l *clusterLoad) finish() []outcome {
	l.stop()
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.outcomes)
}

// phase is what the load saw between two moments.
type phase struct {
	name string
	// gap is the longest time between two acknowledgements in a row, and
	// failed the publishes that failed within it: the 503 window.
	gap    time.Duration
	failed int
	// slowest is the longest any publish of the phase took.
	slowest time.Duration
	// errs counts the failures' kinds.
	errs map[string]int
}

// measure looks at the outcomes of the publishes begun in [from, to).
func measure(name string, outcomes []outcome, from, to time.Time) phase {
	p := phase{name: name, errs: map[string]int{}}
	var acks []time.Time
	var failures []outcome
	for _, o := range outcomes {
		if o.start.Before(from) || !o.start.Before(to) {
			continue
		}
		p.slowest = max(p.slowest, o.end.Sub(o.start))
		if o.err == nil {
			acks = append(acks, o.end)
		} else {
			failures = append(failures, o)
			p.errs[errKind(o.err)]++
		}
	}
	slices.SortFunc(acks, func(a, b time.Time) int { return a.Compare(b) })
	for i := 1; i < len(acks); i++ {
		if g := acks[i].Sub(acks[i-1]); g > p.gap {
			p.gap = g
			p.failed = 0
			for _, f := range failures {
				if f.end.After(acks[i-1]) && !f.end.After(acks[i]) {
					p.failed++
				}
			}
		}
	}
	return p
}

func (p phase) String() string {
	return fmt.Sprintf("%s: longest time without an ack %s (%d publishes failed within it), slowest publish %s, failures %v",
		p.name, p.gap.Round(time.Millisecond), p.failed, p.slowest.Round(time.Millisecond), p.errs)
}

// errKind is a failure's kind for the log: the sinks class and the cause.
func errKind(err error) string {
	class := "other"
	for _, c := range []error{sinks.ErrUnavailable, sinks.ErrClosed, sinks.ErrRefused, sinks.ErrTooLarge} {
		if errors.Is(err, c) {
			class = c.Error()
			break
		}
	}
	cause := "other"
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		cause = "deadline"
	case errors.Is(err, jetstream.ErrNoStreamResponse), errors.Is(err, nats.ErrNoResponders):
		cause = "no responders"
	case errors.Is(err, nats.ErrConnectionReconnecting), errors.Is(err, nats.ErrConnectionClosed):
		cause = "connection"
	default:
		var apiErr *jetstream.APIError
		if errors.As(err, &apiErr) {
			cause = fmt.Sprintf("err_code %d", apiErr.ErrorCode)
		} else {
			cause = err.Error()
			if len(cause) > 80 {
				cause = cause[len(cause)-80:]
			}
		}
	}
	return class + "/" + cause
}

// checkOutcomes holds the load's answers to what the stream holds: every
// acknowledged id stored, none stored twice, no duplicate answered for an
// id its sender had not sent before, every failure a 503.
func checkOutcomes(t *testing.T, outcomes []outcome, stored map[string]int) {
	t.Helper()
	var acked, failed, duplicates int
	for _, o := range outcomes {
		switch {
		case o.err != nil:
			failed++
			if !errors.Is(o.err, sinks.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable (a 503) or an ack", o.id, o.err)
			}
		case stored[o.id] == 0:
			t.Errorf("%s was acknowledged (duplicate %v) but is not in the stream", o.id, o.duplicate)
		case o.duplicate && o.retry == 0:
			t.Errorf("%s was answered duplicate on its first send", o.id)
		default:
			acked++
			if o.duplicate {
				duplicates++
			}
		}
	}
	twice := 0
	for id, n := range stored {
		if n > 1 {
			twice++
			if twice <= 10 {
				t.Errorf("%s is stored %d times", id, n)
			}
		}
	}
	t.Logf("%d publishes: %d acknowledged (%d of them retries answered duplicate), %d failed; %d ids stored, %d stored more than once",
		len(outcomes), acked, duplicates, failed, len(stored), twice)
}

// storedIDs counts each Nats-Msg-Id the stream holds, read through an
// ordered consumer, as a consumer would. Right after a restart the read
// can meet a stream or consumer still changing leader ("no responders"):
// the whole read is made again from the start, for up to a minute.
func storedIDs(t *testing.T, js jetstream.JetStream, stream string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		ids, err := storedIDsOnce(t, js, stream)
		if err == nil {
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("reading stream %s: %v", stream, err)
		}
		t.Logf("reading stream %s again from the start: %v", stream, err)
		time.Sleep(500 * time.Millisecond)
	}
}

func storedIDsOnce(t *testing.T, js jetstream.JetStream, stream string) (map[string]int, error) {
	ctx := ctxFor(t, 30*time.Second)
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return nil, fmt.Errorf("stream %s: %w", stream, err)
	}
	want := st.CachedInfo().State.Msgs
	cons, err := js.OrderedConsumer(ctx, stream, jetstream.OrderedConsumerConfig{})
	if err != nil {
		return nil, err
	}
	ids := map[string]int{}
	for read := uint64(0); read < want; {
		batch, err := cons.Fetch(int(min(want-read, 1000)), jetstream.FetchMaxWait(5*time.Second))
		if err != nil {
			return nil, err
		}
		n := 0
		for m := range batch.Messages() {
			n++
			ids[m.Headers().Get(nats.MsgIdHdr)]++
		}
		if err := batch.Error(); err != nil {
			return nil, fmt.Errorf("reading the stream: %w", err)
		}
		if n == 0 {
			return nil, fmt.Errorf("read %d of %d messages, then nothing more", read, want)
		}
		read += uint64(n)
	}
	return ids, nil
}
