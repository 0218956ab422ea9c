package bridge

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
)

// sinkFunc is a sink whose every publish answers as the test says: the
// handler's mapping of each publish outcome to an HTTP answer needs no
// broker. What a broker really does is the sinks' conformance suite's
// business, against real ones.
type sinkFunc func(context.Context, *sinks.Message) (sinks.Ack, error)

func (f sinkFunc) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) { return f(ctx, m) }
func (f sinkFunc) Close(context.Context) error                                      { return nil }

func handlerOver(t *testing.T, sink sinks.Sink) (*http.ServeMux, *Metrics) {
	t.Helper()
	metrics := NewMetrics(prometheus.NewRegistry())
	h := NewHandler(Config{
		Token:          testToken,
		MaxBodyBytes:   1 << 20,
		Prefix:         testPrefix,
		Source:         testSource,
		PublishTimeout: time.Second,
		RetryAfter:     3 * time.Second,
		MaxConcurrent:  4,
		RequestMemory:  8 << 20,
	}, sink, zerolog.Nop(), metrics)
	mux := http.NewServeMux()
	h.Mount(mux, testPath)
	return mux, metrics
}

// Every way a publish can end becomes one answer, in one place: 200 only
// for what the broker stored, 413 for what it never will, 503 with
// Retry-After for the rest.
func TestPublishOutcomesBecomeAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name    string
		ack     sinks.Ack
		err     error
		status  int
		code    string // error code, or the outcome of a 200
		outcome string // hirebridge_events_total outcome label
	}{
		{"stored", sinks.Ack{}, nil, http.StatusOK, outcomePublished, outcomePublished},
		{"already stored", sinks.Ack{Duplicate: true}, nil, http.StatusOK, outcomeDuplicate, outcomeDuplicate},
		{"too large for the broker", sinks.Ack{}, fmt.Errorf("publishing: %w", sinks.ErrTooLarge), http.StatusRequestEntityTooLarge, codeTooLarge, outcomeRejected},
		{"broker unavailable", sinks.Ack{}, fmt.Errorf("publishing: %w", sinks.ErrUnavailable), http.StatusServiceUnavailable, codeUnavailable, outcomeUnavailable},
		{"sink closed", sinks.Ack{}, fmt.Errorf("publishing: %w", sinks.ErrClosed), http.StatusServiceUnavailable, codeUnavailable, outcomeUnavailable},
		{"an error of no known kind", sinks.Ack{}, errors.New("something else"), http.StatusServiceUnavailable, codeUnavailable, outcomeUnavailable},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var published *sinks.Message
			mux, metrics := handlerOver(t, sinkFunc(func(_ context.Context, m *sinks.Message) (sinks.Ack, error) {
				if m.Event != nil {
					published = m
				}
				return c.ack, c.err
			}))
			r := serveDirect(mux, payload(t, "job_added"))
			if c.status == http.StatusOK {
				id := wantOutcome(t, r, c.code)
				if published == nil || published.ID != id || published.Topic != testPrefix+".job_added" {
					t.Errorf("answered %s for a message %+v", id, published)
				}
			} else {
				wantError(t, r, c.status, c.code)
				if c.status == http.StatusServiceUnavailable && r.header.Get("Retry-After") != "3" {
					t.Errorf("Retry-After %q, want 3", r.header.Get("Retry-After"))
				}
			}
			if n := counterValue(t, metrics.events.WithLabelValues(DefaultSourceName, "job_added", c.outcome)); n != 1 {
				t.Errorf("hirebridge_events_total{outcome=%q} = %v, want 1", c.outcome, n)
			}
		})
	}
}

func counterValue(t *testing.T, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
