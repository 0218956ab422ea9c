package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		return &harness{cluster: kafkatest.Start(t)}
	})
}

type harness struct {
	cluster *kafkatest.Cluster
}

const prefix = "hirempire"

func (h *harness) Binding() sinktest.Binding {
	return sinktest.Binding{AttributePrefix: "ce_", Keys: true}
}

func (h *harness) Prefix() string { return prefix }

func (h *harness) NewSink(t *testing.T) sinks.Sink {
	return openSink(t, h.cluster, kafka.Config{})
}

func (h *harness) Records(t *testing.T, topic string) []sinktest.Record {
	var out []sinktest.Record
	for _, r := range h.cluster.Records(t, topic) {
		rec := sinktest.Record{Topic: r.Topic, Key: string(r.Key), Partition: int(r.Partition), Body: r.Value}
		for _, hd := range r.Headers {
			rec.Headers = append(rec.Headers, sinks.Header{Name: hd.Key, Value: hd.Value})
		}
		out = append(out, rec)
	}
	return out
}

func (h *harness) StopBroker(*testing.T)    { h.cluster.Stop() }
func (h *harness) StartBroker(t *testing.T) { h.cluster.Start(t) }

// openSink opens a sink on cluster with c's settings over test defaults,
// closed at the end of the test.
func openSink(t testing.TB, cluster *kafkatest.Cluster, c kafka.Config) *kafka.Sink {
	t.Helper()
	if c.Brokers == nil {
		c.Brokers = []string{cluster.Addr()}
	}
	if c.Prefix == "" {
		c.Prefix = prefix
	}
	if c.KnownTypes == nil {
		c.KnownTypes = []string{"applicant_applied", "job_created"}
	}
	if c.AckTimeout == 0 {
		c.AckTimeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := kafka.Open(ctx, c)
	if err != nil {
		t.Fatalf("opening the kafka sink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}
