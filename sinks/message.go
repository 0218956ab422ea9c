package sinks

import "github.com/hirebridge/hirebridge/schema/events"

// Message is one record for a broker, in broker-neutral form. Each sink
// renders the CloudEvents attributes with its own binding's header names
// (ce-id on NATS, ce_id on Kafka).
type Message struct {
	// Topic is the full NATS subject or Kafka topic, e.g.
	// "hirempire.applicant_applied".
	Topic string
	// ID identifies the content for deduplication: the event id, or the
	// content id of a dead letter.
	ID string
	// Key orders related messages (Kafka record key); may be empty.
	Key  string
	Body []byte
	// Event carries the CloudEvents context; nil for dead letters, which are
	// not events.
	Event *CloudEvent
	// Headers are copied as they are on every broker: traceparent,
	// tracestate and hirebridge-* headers.
	Headers []Header
}

// CloudEvent holds the CloudEvents 1.0 attributes that vary per event;
// specversion and datacontenttype are the same on every event
// (events.SpecVersion, events.DataContentType).
type CloudEvent struct {
	Type    string
	Source  string
	Time    string
	Subject string
	// DataSchema is the $id of the type's published JSON Schema, for
	// documented types; empty otherwise.
	DataSchema string
}

// Header is one name and value, in the order they are added.
type Header struct {
	Name, Value string
}

// Attributes returns the CloudEvents attributes of m as (attribute, value)
// pairs, in a stable order, skipping an empty subject. A sink prefixes each
// attribute per its binding; datacontenttype maps to content-type on both.
func (m *Message) Attributes() []Header {
	if m.Event == nil {
		return nil
	}
	attrs := make([]Header, 0, 7)
	attrs = append(attrs,
		Header{"specversion", events.SpecVersion},
		Header{"id", m.ID},
		Header{"source", m.Event.Source},
		Header{"type", m.Event.Type},
		Header{"time", m.Event.Time},
	)
	if m.Event.Subject != "" {
		attrs = append(attrs, Header{"subject", m.Event.Subject})
	}
	if m.Event.DataSchema != "" {
		attrs = append(attrs, Header{"dataschema", m.Event.DataSchema})
	}
	return attrs
}
