package natsjs_test

import (
	"context"
	"errors"
	"sort"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/sinktest"
)

func TestConformance(t *testing.T) {
	sinktest.Run(t, func(t *testing.T) sinktest.Harness {
		return &conformanceHarness{srv: natstest.Start(t)}
	})
}

type conformanceHarness struct {
	srv *natstest.Server
}

const (
	conformancePrefix = "hirempire"
	conformanceStream = "SINKTEST"
)

func (h *conformanceHarness) Binding() sinktest.Binding {
	return sinktest.Binding{AttributePrefix: "ce-", BrokerHeaders: []string{"Nats-Msg-Id", "Nats-Expected-Stream"}, DataContentTypeAttribute: true}
}

func (h *conformanceHarness) Prefix() string { return conformancePrefix }

func (h *conformanceHarness) NewSink(t *testing.T) sinks.Sink {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := natsjs.Open(ctx, natsjs.Config{
		URLs:            h.srv.URL(),
		Stream:          conformanceStream,
		Prefix:          conformancePrefix,
		StreamReplicas:  1,
		StreamMaxAge:    time.Hour,
		DuplicateWindow: 2 * time.Minute,
		RememberIDs:     100_000,
		RememberFor:     10 * time.Minute,
		MaxPending:      256,
		AckTimeout:      2 * time.Second,
		ReconnectWait:   50 * time.Millisecond,
	})
	if err != nil {
		t.Fatalf("opening the NATS sink: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// Records reads the subject from the stream with an ordered consumer on a
// connection of its own.
func (h *conformanceHarness) Records(t *testing.T, topic string) []sinktest.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	nc, err := nats.Connect(h.srv.URL())
	if err != nil {
		t.Fatalf("connecting to read %s: %v", topic, err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("JetStream: %v", err)
	}
	stream, err := js.Stream(ctx, conformanceStream)
	if err != nil {
		t.Fatalf("stream %s: %v", conformanceStream, err)
	}
	info, err := stream.Info(ctx, jetstream.WithSubjectFilter(topic))
	if err != nil {
		t.Fatalf("stream info: %v", err)
	}
	want := int(info.State.Subjects[topic])
	if want == 0 {
		return nil
	}
	cons, err := stream.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{FilterSubjects: []string{topic}})
	if err != nil {
		t.Fatalf("ordered consumer on %s: %v", topic, err)
	}
	var recs []sinktest.Record
	for len(recs) < want {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			if errors.Is(err, jetstream.ErrNoMessages) || errors.Is(err, nats.ErrTimeout) {
				t.Fatalf("reading %s: %d of %d messages: %v", topic, len(recs), want, err)
			}
			t.Fatalf("reading %s: %v", topic, err)
		}
		rec := sinktest.Record{Topic: msg.Subject(), Body: msg.Data()}
		names := make([]string, 0, len(msg.Headers()))
		for name := range msg.Headers() {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			for _, v := range msg.Headers()[name] {
				rec.Headers = append(rec.Headers, sinks.Header{Name: name, Value: v})
			}
		}
		recs = append(recs, rec)
	}
	return recs
}

func (h *conformanceHarness) StopBroker(*testing.T)    { h.srv.Stop() }
func (h *conformanceHarness) StartBroker(t *testing.T) { h.srv.Restart(t) }
