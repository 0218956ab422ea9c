package sinktest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// Run runs every case, each against a Harness of its own from newHarness.
// Each case lives in a file of its subject; this one holds what they share.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	cases := []struct {
		name string
		run  func(t *testing.T, h Harness)
	}{
		{"Headers", testHeaders},
		{"Keys", testKeys},
		{"PerKeyOrder", testPerKeyOrder},
		{"Duplicates", testDuplicates},
		{"BrokerDownThenBack", testBrokerDownThenBack},
		{"CloseWhilePublishing", testCloseWhilePublishing},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, newHarness(t))
		})
	}
}

const (
	source    = "https://app.hirempire.com"
	eventTime = "2026-01-30T00:14:56.395Z"
	// publishTimeout is each publish's deadline where the broker is up;
	// generous, since the CI machine is small and shared.
	publishTimeout = 10 * time.Second
)

// body is the JSON the suite publishes; key and seq let a reader check
// keys and order without trusting headers.
type body struct {
	Event string `json:"event"`
	Key   string `json:"key,omitempty"`
	Seq   int    `json:"seq"`
	Note  string `json:"note,omitempty"`
}

func event(topic, id, key string, seq int) *sinks.Message {
	name := topic[strings.LastIndexByte(topic, '.')+1:]
	b, _ := json.Marshal(body{Event: name, Key: key, Seq: seq})
	return &sinks.Message{
		Topic: topic,
		ID:    id,
		Key:   key,
		Body:  b,
		Event: &sinks.CloudEvent{
			Type:    "com.hirempire." + name,
			Source:  source,
			Time:    eventTime,
			Subject: key,
		},
	}
}

func publish(t *testing.T, s sinks.Sink, m *sinks.Message) sinks.Ack {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), publishTimeout)
	defer cancel()
	ack, err := s.Publish(ctx, m)
	if err != nil {
		t.Fatalf("publishing %s (id %s): %v", m.Topic, m.ID, err)
	}
	return ack
}

func closeSink(t *testing.T, s sinks.Sink) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Close(ctx); err != nil {
		t.Errorf("closing the sink: %v", err)
	}
}
