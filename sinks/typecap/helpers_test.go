package typecap_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/typecap"
)

const (
	prefix     = "hirempire"
	documented = "job_added"
)

// broker opens a sink on a real broker, again after the first (a
// restart), on the same store.
type broker struct {
	name string
	open func(t *testing.T) sinks.Sink
}

// brokers are both brokers, each started once for the test.
func brokers(t *testing.T) []broker {
	t.Helper()
	return []broker{natsBroker(t), kafkaBroker(t)}
}

func natsBroker(t *testing.T) broker {
	srv := natstest.Start(t)
	return broker{name: "nats", open: func(t *testing.T) sinks.Sink {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := natsjs.Open(ctx, natsjs.Config{
			URLs: srv.URL(), Stream: "HIREMPIRE", Prefix: prefix, StreamReplicas: 1,
			DuplicateWindow: time.Minute, RememberIDs: 1000, RememberFor: time.Minute,
			MaxPending: 256, AckTimeout: 5 * time.Second, ReconnectWait: 50 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		closeAtEnd(t, s)
		return s
	}}
}

func kafkaBroker(t *testing.T) broker {
	cluster := kafkatest.Start(t)
	return broker{name: "kafka", open: func(t *testing.T) sinks.Sink {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s, err := kafka.Open(ctx, kafka.Config{
			Brokers: []string{cluster.Addr()}, Prefix: prefix, KnownTypes: []string{documented},
			Partitions: 1, AckTimeout: 5 * time.Second, DedupSize: 1000, DedupAge: time.Minute,
		})
		if err != nil {
			t.Fatal(err)
		}
		closeAtEnd(t, s)
		return s
	}}
}

func closeAtEnd(t *testing.T, s sinks.Sink) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
}

// capped wraps s behind a cap of max, with its own metrics.
func capped(s sinks.Sink, max int) (*typecap.Sink, *prometheus.Registry) {
	reg := prometheus.NewRegistry()
	return typecap.Wrap(s, typecap.Config{
		Max:    max,
		Exempt: []string{events.Subject(prefix, documented), events.DeadLetterSubject(prefix)},
	}, typecap.NewMetrics(reg)), reg
}

// message is an event of type name, distinct by n.
func message(name string, n int) *sinks.Message {
	body := []byte(fmt.Sprintf(`{"event":%q,"n":%d}`, name, n))
	return &sinks.Message{Topic: events.Subject(prefix, name), ID: events.ContentID(body), Body: body}
}

func publish(t *testing.T, s sinks.Sink, m *sinks.Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := s.Publish(ctx, m)
	return err
}

// gauge reads a metric by name from reg.
func gauge(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			m := mf.GetMetric()[0]
			if m.GetGauge() != nil {
				return m.GetGauge().GetValue()
			}
			return m.GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
