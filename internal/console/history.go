package console

import (
	"context"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// The chart's window: 15 steps of a minute, this process's own counts
// (per replica), from samples of its registry every 10 s.
const (
	windowSteps = 15
	windowStep  = time.Minute
	sampleEvery = 10 * time.Second
)

// Series the window reads.
const (
	eventsFamily  = "hirebridge_events_total"
	latencyFamily = "hirebridge_publish_duration_seconds"
)

// sample is the registry's counters at one instant: the events by type
// and outcome (summed over sources), the publish latency histogram's
// cumulative buckets (summed over sinks).
type sample struct {
	at     time.Time
	counts map[seriesKey]float64
	bounds []float64
	// buckets are cumulative, one per bound, then the +Inf one (the
	// count).
	buckets []float64
}

type seriesKey struct{ typ, outcome string }

// history keeps the samples of the last window and one before it.
type history struct {
	g       prometheus.Gatherer
	mu      sync.Mutex
	samples []sample // oldest first
}

func newHistory(g prometheus.Gatherer) *history { return &history{g: g} }

// run samples every interval until ctx ends, starting at once: the
// counters at start are the base the first step counts from.
func (h *history) run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if s, _, err := h.take(); err == nil {
			h.record(s)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// take gathers the registry once: the sample, and the families for what
// else the caller reads (the spool's gauges).
func (h *history) take() (sample, []*dto.MetricFamily, error) {
	s := sample{at: time.Now(), counts: map[seriesKey]float64{}}
	if h.g == nil {
		return s, nil, nil
	}
	mfs, err := h.g.Gather()
	for _, mf := range mfs {
		switch mf.GetName() {
		case eventsFamily:
			for _, m := range mf.GetMetric() {
				k := seriesKey{label(m, "type"), label(m, "outcome")}
				s.counts[k] += m.GetCounter().GetValue()
			}
		case latencyFamily:
			for _, m := range mf.GetMetric() {
				s.addHistogram(m.GetHistogram())
			}
		}
	}
	return s, mfs, err
}

func (s *sample) addHistogram(hg *dto.Histogram) {
	if hg == nil {
		return
	}
	bs := hg.GetBucket()
	if s.bounds == nil {
		for _, b := range bs {
			if !math.IsInf(b.GetUpperBound(), 1) {
				s.bounds = append(s.bounds, b.GetUpperBound())
			}
		}
		s.buckets = make([]float64, len(s.bounds)+1)
	}
	for i, b := range bs {
		if i < len(s.bounds) && b.GetUpperBound() == s.bounds[i] {
			s.buckets[i] += float64(b.GetCumulativeCount())
		}
	}
	s.buckets[len(s.bounds)] += float64(hg.GetSampleCount())
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// record keeps s, and lets go of the samples no window reaches any more:
// those older than the newest one at or before the window's start.
func (h *history) record(s sample) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.samples = append(h.samples, s)
	start := s.at.Add(-windowSteps * windowStep)
	drop := 0
	for drop+1 < len(h.samples) && !h.samples[drop+1].at.After(start) {
		drop++
	}
	h.samples = slices.Delete(h.samples, 0, drop)
}

// window is the chart and the latency, from the samples kept and now, a
// sample just taken.
type window struct {
	StepSeconds int      `json:"step_seconds"`
	End         string   `json:"end"`
	Steps       int      `json:"steps"`
	Series      []series `json:"series"`
}

type series struct {
	Type    string  `json:"type"`
	Outcome string  `json:"outcome"`
	Counts  []int64 `json:"counts"`
}

type latency struct {
	P50 *float64 `json:"p50_ms"`
	P99 *float64 `json:"p99_ms"`
	// P99ByStep are the steps' p99, oldest first; null where nothing was
	// published.
	P99ByStep []*float64 `json:"p99_ms_by_step"`
}

func (h *history) window(now sample) (window, latency) {
	h.mu.Lock()
	samples := append(slices.Clone(h.samples), now)
	h.mu.Unlock()
	// at is the counters at t: the newest sample at or before it, the
	// oldest when t is before them all (nothing counted before).
	at := func(t time.Time) sample {
		i, _ := slices.BinarySearchFunc(samples, t, func(s sample, t time.Time) int {
			if s.at.After(t) {
				return 1
			}
			return -1
		})
		if i == 0 {
			return samples[0]
		}
		return samples[i-1]
	}
	bounds := make([]sample, windowSteps+1)
	for k := range bounds {
		bounds[k] = at(now.at.Add(-time.Duration(windowSteps-k) * windowStep))
	}
	bounds[windowSteps] = now

	w := window{StepSeconds: int(windowStep / time.Second), End: now.at.UTC().Format(time.RFC3339), Steps: windowSteps, Series: []series{}}
	keys := map[seriesKey]bool{}
	for k := range now.counts {
		keys[k] = true
	}
	for k := range keys {
		s := series{Type: k.typ, Outcome: k.outcome, Counts: make([]int64, windowSteps)}
		var total int64
		for i := range windowSteps {
			d := int64(math.Round(bounds[i+1].counts[k] - bounds[i].counts[k]))
			s.Counts[i] = max(d, 0)
			total += s.Counts[i]
		}
		if total > 0 {
			w.Series = append(w.Series, s)
		}
	}
	slices.SortFunc(w.Series, func(a, b series) int {
		if c := strings.Compare(a.Type, b.Type); c != 0 {
			return c
		}
		return strings.Compare(a.Outcome, b.Outcome)
	})

	l := latency{P99ByStep: make([]*float64, windowSteps)}
	for i := range windowSteps {
		l.P99ByStep[i] = quantileMS(0.99, bounds[i], bounds[i+1])
	}
	l.P50 = quantileMS(0.5, bounds[0], now)
	l.P99 = quantileMS(0.99, bounds[0], now)
	return w, l
}

// quantileMS is the q-quantile, in milliseconds, of the publishes between
// samples a and b, interpolated within its bucket as Prometheus's
// histogram_quantile does; nil when none was published. One in the +Inf
// bucket is answered as the highest bound.
func quantileMS(q float64, a, b sample) *float64 {
	if len(b.bounds) == 0 {
		return nil
	}
	delta := make([]float64, len(b.buckets))
	for i := range delta {
		delta[i] = b.buckets[i]
		if len(a.buckets) == len(b.buckets) {
			delta[i] -= a.buckets[i]
		}
	}
	count := delta[len(delta)-1]
	if count <= 0 {
		return nil
	}
	rank := q * count
	i := 0
	for i < len(delta) && delta[i] < rank {
		i++
	}
	var v float64
	switch {
	case i >= len(b.bounds):
		v = b.bounds[len(b.bounds)-1]
	default:
		lower, below := 0.0, 0.0
		if i > 0 {
			lower, below = b.bounds[i-1], delta[i-1]
		}
		in := delta[i] - below
		v = b.bounds[i]
		if in > 0 {
			v = lower + (b.bounds[i]-lower)*(rank-below)/in
		}
	}
	ms := math.Round(v*1e6) / 1e3
	return &ms
}
