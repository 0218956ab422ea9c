package console

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// The window counts each step's events from the samples around its
// bounds, and the latency from the histogram's buckets between them.
func TestHistoryWindow(t *testing.T) {
	reg := prometheus.NewRegistry()
	events := prometheus.NewCounterVec(prometheus.CounterOpts{Name: eventsFamily}, []string{"source", "type", "outcome"})
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: latencyFamily, Buckets: []float64{.001, .01, .1}}, []string{"sink"})
	reg.MustRegister(events, lat)
	h := newHistory(reg)
	start := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	at := func(s sample, err error, d time.Duration) sample {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		s.at = start.Add(d)
		return s
	}
	take := func(d time.Duration) sample {
		s, _, err := h.take()
		return at(s, err, d)
	}
	h.record(take(0))
	// Minute 3 of the window: two sources' applications, one of them
	// rejected; publishes of 0.5 ms.
	events.WithLabelValues("a", "applicant_applied", "published").Add(3)
	events.WithLabelValues("b", "applicant_applied", "published").Add(2)
	events.WithLabelValues("a", "job_added", "rejected").Inc()
	for range 5 {
		lat.WithLabelValues("nats").Observe(.0005)
	}
	h.record(take(2*time.Minute + 30*time.Second))
	// The last minute: one slow publish.
	events.WithLabelValues("a", "applicant_applied", "published").Inc()
	lat.WithLabelValues("nats").Observe(.05)
	now := take(15 * time.Minute)

	w, l := h.window(now)
	if w.Steps != 15 || w.StepSeconds != 60 || w.End != "2026-01-02T03:15:00Z" {
		t.Errorf("window %+v", w)
	}
	want := map[seriesKey][]int64{
		{"applicant_applied", "published"}: {0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
		{"job_added", "rejected"}:          {0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0},
	}
	if len(w.Series) != len(want) {
		t.Fatalf("series %+v", w.Series)
	}
	for _, s := range w.Series {
		if got, exp := s.Counts, want[seriesKey{s.Type, s.Outcome}]; !equalInts(got, exp) {
			t.Errorf("%s/%s: %v, want %v", s.Type, s.Outcome, got, exp)
		}
	}
	if w.Series[0].Type != "applicant_applied" {
		t.Errorf("series not sorted: %+v", w.Series)
	}
	// p50 of 6 publishes, 5 in (0, 1 ms]: rank 3 → 0.6 ms; p99 rank
	// 5.94, the one in (10, 100 ms]: 10 + 90 × 0.94 = 94.6 ms.
	if l.P50 == nil || math.Abs(*l.P50-0.6) > 1e-9 || l.P99 == nil || math.Abs(*l.P99-94.6) > 1e-9 {
		t.Errorf("latency p50 %v p99 %v", deref(l.P50), deref(l.P99))
	}
	for i, p := range l.P99ByStep {
		switch i {
		case 2:
			if p == nil || math.Abs(*p-0.99) > 1e-9 {
				t.Errorf("step 2's p99: %v, want 0.99", deref(p))
			}
		case 14:
			if p == nil || math.Abs(*p-99.1) > 1e-9 {
				t.Errorf("step 14's p99: %v, want 99.1", deref(p))
			}
		default:
			if p != nil {
				t.Errorf("step %d's p99: %v, want none", i, *p)
			}
		}
	}
}

// The samples kept stop at the newest one at or before the window's start.
func TestHistoryBounded(t *testing.T) {
	h := newHistory(prometheus.NewRegistry())
	start := time.Now()
	for i := range 1000 {
		h.record(sample{at: start.Add(time.Duration(i) * sampleEvery)})
	}
	// 15 minutes of samples every 10 s, and the one at the start.
	if n := len(h.samples); n != 91 {
		t.Errorf("%d samples kept", n)
	}
}

// Publishes beyond the highest bound are answered as the highest bound;
// none answer nothing.
func TestQuantileEdges(t *testing.T) {
	a := sample{bounds: []float64{.001, .01}, buckets: []float64{0, 0, 0}}
	b := sample{bounds: []float64{.001, .01}, buckets: []float64{0, 0, 4}}
	if q := quantileMS(.5, a, b); q == nil || *q != 10 {
		t.Errorf("beyond the highest bound: %v", deref(q))
	}
	if q := quantileMS(.5, a, a); q != nil {
		t.Errorf("nothing published: %v", *q)
	}
	if q := quantileMS(.5, sample{}, sample{}); q != nil {
		t.Errorf("no histogram: %v", *q)
	}
}

func equalInts(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}
