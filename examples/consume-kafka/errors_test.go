package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// env is a process environment for run.
type env map[string]string

func (e env) get(name string) string { return e[name] }

// A broker without the bridge's topics (another broker, or another
// prefix) is one line naming the broker and where its address came from,
// at once rather than a reader waiting without a word.
func TestTopicsMissing(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	var stdout, stderr bytes.Buffer
	err := run(t.Context(), env{"HIREBRIDGE_KAFKA_BROKERS": broker.Addr()}.get, &stdout, &stderr)
	want := "no hirempire.<event> topics on " + broker.Addr() + " (HIREBRIDGE_KAFKA_BROKERS): is hirebridge running with HIREBRIDGE_SINK=kafka and the same HIREBRIDGE_TOPIC_PREFIX? It creates them at start"
	if err == nil || err.Error() != want {
		t.Errorf("run = %v, want %s", err, want)
	}
	if stdout.Len() > 0 || stderr.Len() > 0 {
		t.Errorf("run printed %q and %q, want nothing but its error", stdout.String(), stderr.String())
	}

	// Some there, one not: that one is named.
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	all := topics("hirempire")
	if _, err := kadm.NewClient(cl).CreateTopics(ctx, 1, 1, nil, all[:len(all)-1]...); err != nil {
		t.Fatal(err)
	}
	err = run(t.Context(), env{"HIREBRIDGE_KAFKA_BROKERS": broker.Addr()}.get, &stdout, &stderr)
	want = "topics hirempire.meeting_booked not found on " + broker.Addr() + " (HIREBRIDGE_KAFKA_BROKERS): is hirebridge running"
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Errorf("run = %v, want %s...", err, want)
	}
}

// A broker that is not there is one line naming its address.
func TestCannotReach(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	err = run(t.Context(), env{"HIREBRIDGE_KAFKA_BROKERS": addr}.get, &bytes.Buffer{}, &bytes.Buffer{})
	want := "cannot reach Kafka at " + addr + " (HIREBRIDGE_KAFKA_BROKERS): "
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("run = %v, want one line starting %q", err, want)
	}
}
