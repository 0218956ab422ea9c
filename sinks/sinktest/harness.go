// Package sinktest is the conformance suite every sink passes against a
// real broker: what a consumer reads (topic, key, headers, body), per-key
// order, duplicates, a broker that goes down and comes back, and closing
// while publishing. Each sink's tests implement Harness over their broker
// and call Run.
package sinktest

import (
	"testing"

	"github.com/hirebridge/hirebridge/sinks"
)

// Harness gives the suite one broker and sinks publishing to it. Run makes
// a new Harness for each case, so cases never see each other's records.
type Harness interface {
	// Binding says how the broker renders messages.
	Binding() Binding
	// Prefix is the topic prefix the sinks are opened with; the suite
	// publishes to <Prefix>.<name> and <Prefix>.dlq.
	Prefix() string
	// NewSink opens a sink on the broker. The suite closes it; the harness
	// may close it again at cleanup.
	NewSink(t *testing.T) sinks.Sink
	// Records reads every record stored in topic, with a client other than
	// the sink's, in the order a consumer gets them (at least per key).
	Records(t *testing.T, topic string) []Record
	// StopBroker takes the broker down, closing its connections; stored
	// records survive.
	StopBroker(t *testing.T)
	// StartBroker brings it back at the same address with the same store.
	StartBroker(t *testing.T)
}

// Binding describes the broker's rendering of a sinks.Message.
type Binding struct {
	// AttributePrefix is put before each CloudEvents attribute name:
	// "ce-" on NATS, "ce_" on Kafka.
	AttributePrefix string
	// Keys is true when records carry Message.Key (Kafka's record key).
	Keys bool
	// BrokerHeaders are headers the sink adds for the broker's own use
	// (Nats-Msg-Id), left out of the header comparison.
	BrokerHeaders []string
	// DataContentTypeAttribute is true when the binding carries
	// datacontenttype as an attribute header too (ce-datacontenttype on
	// NATS), beside content-type.
	DataContentTypeAttribute bool
}

// Record is one stored message as a consumer reads it.
type Record struct {
	Topic string
	// Key is the record key; empty where the broker has none.
	Key string
	// Partition is the partition the record was read from; 0 where the
	// broker has none.
	Partition int
	Headers   []sinks.Header
	Body      []byte
}

// Header returns the values of name, in order.
func (r Record) Header(name string) []string {
	var vs []string
	for _, h := range r.Headers {
		if h.Name == name {
			vs = append(vs, h.Value)
		}
	}
	return vs
}
