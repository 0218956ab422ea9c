//go:build linux

package main

import (
	"fmt"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// kafkaClusterLoad posts distinct events from concurrent senders, each
// posting its event again after a 503 until it is answered 2xx, as
// Hirempire retries, and records every answer.
type kafkaClusterLoad struct {
	url     string
	client  *http.Client
	factory eventFactory
	tag     string

	next atomic.Int64
	stop chan struct{}
	once sync.Once
	wg   sync.WaitGroup

	mu      sync.Mutex
	answers []kafkaClusterAnswer
	givenUp []string
}

// kafkaClusterAnswer is one POST as its sender saw it.
type kafkaClusterAnswer struct {
	sender     int
	start, end time.Time
	// status is the HTTP status, 0 when no answer came.
	status int
	// outcome is the body's status (published, duplicate), or its
	// error, or the client's.
	outcome string
	id      string
}

// kafkaClusterGiveUp bounds a sender's retries of one event.
const kafkaClusterGiveUp = 60 * time.Second

func startKafkaClusterLoad(url, tag string, factory eventFactory, senders int) *kafkaClusterLoad {
	l := &kafkaClusterLoad{url: url, client: loadClient(senders), factory: factory, tag: tag, stop: make(chan struct{})}
	for s := range senders {
		l.wg.Go(func() { l.send(s) })
	}
	return l
}

func (l *kafkaClusterLoad) send(sender int) {
	for {
		select {
		case <-l.stop:
			return
		default:
		}
		body := l.factory.make(l.tag, int(l.next.Add(1)))
		first := time.Now()
		for {
			start := time.Now()
			r, err := post(l.client, l.url, body)
			a := kafkaClusterAnswer{sender: sender, start: start, end: time.Now(), status: r.Status, outcome: r.Body.Status, id: r.Body.ID}
			switch {
			case err != nil:
				a.outcome = err.Error()
			case a.outcome == "":
				a.outcome = r.Body.Error
			}
			l.mu.Lock()
			l.answers = append(l.answers, a)
			l.mu.Unlock()
			if a.status/100 == 2 {
				break
			}
			if time.Since(first) > kafkaClusterGiveUp {
				l.mu.Lock()
				l.givenUp = append(l.givenUp, string(body))
				l.mu.Unlock()
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

// finish stops the senders once each has its event answered 2xx, or gave
// it up.
func (l *kafkaClusterLoad) finish() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// acked counts the events answered 2xx so far.
func (l *kafkaClusterLoad) acked() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, a := range l.answers {
		if a.status/100 == 2 {
			n++
		}
	}
	return n
}

// check fails the test for each event answered 2xx that stored lacks
// (count by ce_id), for any answer other than 200 or 503, and for events
// never stored; it logs the figures: answers by status, the longest run of
// 503s a sender saw (from its first 503 to its next 2xx), the slowest
// answer, and the events stored more than once.
func (l *kafkaClusterLoad) check(t *testing.T, stored map[string]int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, body := range l.givenUp {
		t.Errorf("an event still not stored after %s of retries: %.120s", kafkaClusterGiveUp, body)
	}
	answers := append([]kafkaClusterAnswer(nil), l.answers...)
	sort.Slice(answers, func(i, j int) bool { return answers[i].start.Before(answers[j].start) })
	byStatus := map[string]int{}
	acked := map[string]bool{}
	failingSince := map[int]time.Time{}
	var longest503, slowest time.Duration
	for _, a := range answers {
		byStatus[fmt.Sprintf("%d %s", a.status, a.outcome)]++
		slowest = max(slowest, a.end.Sub(a.start))
		switch {
		case a.status == http.StatusOK:
			acked[a.id] = true
			if since, failing := failingSince[a.sender]; failing {
				longest503 = max(longest503, a.end.Sub(since))
				delete(failingSince, a.sender)
			}
		case a.status == http.StatusServiceUnavailable:
			if _, failing := failingSince[a.sender]; !failing {
				failingSince[a.sender] = a.start
			}
		default:
			t.Errorf("answer %d %q, want 200 or 503", a.status, a.outcome)
		}
	}
	lost, twice := 0, 0
	for id := range acked {
		switch n := stored[id]; {
		case n == 0:
			lost++
			t.Errorf("%s: answered 200, but not stored", id)
		case n > 1:
			twice++
		}
	}
	t.Logf("answers by status: %v", byStatus)
	t.Logf("%d events answered 200, %d of them lost, %d stored more than once; longest run of 503s a sender saw %s; slowest answer %s",
		len(acked), lost, twice, longest503.Round(time.Millisecond), slowest.Round(time.Millisecond))
}
