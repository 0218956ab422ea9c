package bridge

import (
	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// EventMessage is the message an accepted event is published as: its topic
// under the prefix, its CloudEvents context and headers. The handler and
// `hirebridge replay` both build messages here, so a replayed dead letter
// is published exactly as if it had been accepted the first time.
// src is the event's source (see SourceNamed), trace the sender's trace
// context headers, if any.
func (c Config) EventMessage(ev *schema.Event, src Source, trace []sinks.Header) *sinks.Message {
	return c.eventMessage(ev, src.EventSource, append(trace, sinks.Header{Name: events.HeaderSource, Value: src.Name}))
}

// eventMessage is the message of ev from the CloudEvents source
// eventSource; headers are the trace context and the source's name.
func (c Config) eventMessage(ev *schema.Event, eventSource string, headers []sinks.Header) *sinks.Message {
	msg := &sinks.Message{
		Topic: events.Subject(c.Prefix, ev.Name),
		ID:    ev.ID,
		Key:   ev.Key,
		Body:  ev.Body,
		Event: &sinks.CloudEvent{
			Source:  eventSource,
			Time:    ev.Time,
			Subject: ev.Key,
		},
		Headers: headers,
	}
	if known, ok := documented[ev.Name]; ok {
		msg.Event.Type, msg.Event.DataSchema = known.ceType, known.dataSchema
	} else {
		msg.Event.Type = events.CloudEventsType(ev.Name)
	}
	if !ev.Validated {
		msg.Headers = append(msg.Headers, validatedFalse)
	}
	return msg
}

// documented holds the CloudEvents type and schema of each documented
// event type, built once rather than per message.
var documented = func() map[string]struct{ ceType, dataSchema string } {
	m := map[string]struct{ ceType, dataSchema string }{}
	for _, name := range schema.KnownTypes() {
		id, _ := schema.SchemaID(name)
		m[name] = struct{ ceType, dataSchema string }{events.CloudEventsType(name), id}
	}
	return m
}()

// validatedFalse marks events whose type is not documented, so consumers
// know no schema vouched for them.
var validatedFalse = sinks.Header{Name: events.HeaderValidated, Value: "false"}
