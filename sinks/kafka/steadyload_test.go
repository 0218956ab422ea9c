package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
)

// steadyLoad publishes distinct events from concurrent senders, each
// retrying its event until it is answered stored, as a webhook sender
// retries a 503, and records every publish's outcome.
type steadyLoad struct {
	s       *kafka.Sink
	topic   string
	timeout time.Duration

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu      sync.Mutex
	outcome []publishOutcome
	phases  []phase
	// givenUp are the events still not stored when their sender gave up.
	givenUp []string
}

// publishOutcome is one publish as its sender saw it.
type publishOutcome struct {
	sender     int
	id         string
	start, end time.Time
	ack        sinks.Ack
	err        error
}

// phase names what the cluster went through from start on.
type phase struct {
	name  string
	start time.Time
}

const (
	// giveUp bounds a sender's retries of one event.
	giveUp = 60 * time.Second
	// pace is a sender's pause between two events: steady load, not as
	// much as the machine takes, so that reading it all back stays
	// quick under the race detector.
	pace = 10 * time.Millisecond
)

func startSteadyLoad(s *kafka.Sink, topic string, senders int, timeout time.Duration) *steadyLoad {
	l := &steadyLoad{s: s, topic: topic, timeout: timeout, stop: make(chan struct{})}
	l.mark("steady")
	for i := range senders {
		l.wg.Go(func() { l.send(i) })
	}
	return l
}

func (l *steadyLoad) send(sender int) {
	for seq := 0; ; seq++ {
		select {
		case <-l.stop:
			return
		default:
		}
		time.Sleep(pace)
		id := fmt.Sprintf("s%02d-%06d", sender, seq)
		m := message(l.topic, id)
		// Keys spread the events over every partition, and so over
		// every leader.
		m.Key = fmt.Sprintf("applicant-%d", seq%64)
		m.Event.Subject = m.Key
		first := time.Now()
		for {
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), l.timeout)
			ack, err := l.s.Publish(ctx, m)
			cancel()
			l.record(publishOutcome{sender: sender, id: id, start: start, end: time.Now(), ack: ack, err: err})
			if err == nil {
				break
			}
			if time.Since(first) > giveUp {
				l.mu.Lock()
				l.givenUp = append(l.givenUp, id)
				l.mu.Unlock()
				break
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (l *steadyLoad) record(o publishOutcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.outcome = append(l.outcome, o)
}

// mark starts a phase.
func (l *steadyLoad) mark(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.phases = append(l.phases, phase{name, time.Now()})
}

// stored counts the events answered stored so far.
func (l *steadyLoad) stored() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, o := range l.outcome {
		if o.err == nil {
			n++
		}
	}
	return n
}

// finish stops the senders once each has its event in hand stored, or
// gave it up.
func (l *steadyLoad) finish() {
	l.stopOnce.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// check reads the topic back: every event answered stored is there (none
// lost), once, and none was answered duplicate on its first success.
func (l *steadyLoad) check(t *testing.T, stored map[string]int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range l.givenUp {
		t.Errorf("%s: still not stored after %s of retries", id, giveUp)
	}
	acked := map[string]bool{}
	lost := 0
	for _, o := range l.outcome {
		if o.err != nil {
			if !errors.Is(o.err, sinks.ErrUnavailable) {
				t.Errorf("%s: %v, want ErrUnavailable", o.id, o.err)
			}
			continue
		}
		if o.ack.Duplicate && !acked[o.id] {
			t.Errorf("%s: answered duplicate, but no earlier publish of it was answered stored", o.id)
		}
		acked[o.id] = true
	}
	twice := 0
	for id := range acked {
		switch n := stored[id]; {
		case n == 0:
			lost++
			t.Errorf("%s: answered stored, but not on the topic", id)
		case n > 1:
			twice++
			t.Errorf("%s: stored %d times, want once", id, n)
		}
	}
	t.Logf("%d events answered stored, %d of them lost, %d stored more than once; %d records on the topic", len(acked), lost, twice, len(stored))
}

// report logs, phase by phase, what the senders saw: publishes by outcome
// and the slowest, by the phase they started in, and the longest a sender
// went without a success (from a failed publish to its next success), by
// the phase that run of failures started in.
func (l *steadyLoad) report(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	outcomes := append([]publishOutcome(nil), l.outcome...)
	sort.Slice(outcomes, func(i, j int) bool { return outcomes[i].start.Before(outcomes[j].start) })
	phaseOf := func(at time.Time) int {
		i := sort.Search(len(l.phases), func(i int) bool { return l.phases[i].start.After(at) })
		return max(i-1, 0)
	}
	type figures struct {
		stored, unavailable     int
		slowest, withoutSuccess time.Duration
		// causes counts the failures by the broker's or client's words.
		causes map[string]int
	}
	by := make([]figures, len(l.phases))
	failingSince := map[int]time.Time{}
	for _, o := range outcomes {
		f := &by[phaseOf(o.start)]
		f.slowest = max(f.slowest, o.end.Sub(o.start))
		if o.err != nil {
			f.unavailable++
			if f.causes == nil {
				f.causes = map[string]int{}
			}
			f.causes[cause(o.err)]++
			if _, failing := failingSince[o.sender]; !failing {
				failingSince[o.sender] = o.start
			}
			continue
		}
		f.stored++
		if since, failing := failingSince[o.sender]; failing {
			g := &by[phaseOf(since)]
			g.withoutSuccess = max(g.withoutSuccess, o.end.Sub(since))
			delete(failingSince, o.sender)
		}
	}
	for i, ph := range l.phases {
		end := time.Now()
		if i+1 < len(l.phases) {
			end = l.phases[i+1].start
		}
		f := by[i]
		t.Logf("%-28s %5.1fs: %6d publishes answered stored, %4d unavailable; slowest %s; longest a sender went without a success %s; failures: %v",
			ph.name, end.Sub(ph.start).Seconds(), f.stored, f.unavailable,
			f.slowest.Round(time.Millisecond), f.withoutSuccess.Round(time.Millisecond), f.causes)
	}
}

// cause is the last part of a publish's error, where the broker's or the
// client's own words are, without the ids and topics before them.
func cause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}
