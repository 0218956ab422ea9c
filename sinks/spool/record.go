package spool

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// record is a spooled message as the store holds it: JSON, with names of
// its own so that renaming a field of sinks.Message cannot make spools
// written by an earlier version unreadable. The body is stored apart, as
// it is: in JSON it would be base64, a third larger on disk.
type record struct {
	// V is the record's version, for a later change of layout.
	V int `json:"v"`
	// At is when the spool accepted the message, in Unix nanoseconds: the
	// oldest record's age is a metric.
	At      int64          `json:"at"`
	Topic   string         `json:"topic"`
	ID      string         `json:"id"`
	Key     string         `json:"key,omitempty"`
	Event   *recordEvent   `json:"event,omitempty"`
	Headers []recordHeader `json:"headers,omitempty"`
}

type recordEvent struct {
	Type       string `json:"type"`
	Source     string `json:"source"`
	Time       string `json:"time"`
	Subject    string `json:"subject,omitempty"`
	DataSchema string `json:"dataschema,omitempty"`
}

type recordHeader struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

const recordVersion = 1

// encode renders m, accepted at at, for the store: the record, and the
// body stored beside it.
func encode(m *sinks.Message, at time.Time) ([]byte, error) {
	r := record{V: recordVersion, At: at.UnixNano(), Topic: m.Topic, ID: m.ID, Key: m.Key}
	if e := m.Event; e != nil {
		r.Event = &recordEvent{Type: e.Type, Source: e.Source, Time: e.Time, Subject: e.Subject, DataSchema: e.DataSchema}
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, recordHeader(h))
	}
	return json.Marshal(r)
}

// decode reads a stored record and its body back into the message it was.
func decode(b, body []byte) (*sinks.Message, time.Time, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, time.Time{}, fmt.Errorf("a spooled record does not decode: %w", err)
	}
	if r.V != recordVersion {
		return nil, time.Time{}, fmt.Errorf("a spooled record has version %d; this build reads version %d", r.V, recordVersion)
	}
	m := &sinks.Message{Topic: r.Topic, ID: r.ID, Key: r.Key, Body: body}
	if e := r.Event; e != nil {
		m.Event = &sinks.CloudEvent{Type: e.Type, Source: e.Source, Time: e.Time, Subject: e.Subject, DataSchema: e.DataSchema}
	}
	for _, h := range r.Headers {
		m.Headers = append(m.Headers, sinks.Header(h))
	}
	return m, time.Unix(0, r.At), nil
}

// Size is what a message counts against Config.MaxBytes: its bodies and
// headers, as the README says, whatever the store's encoding adds.
func Size(m *sinks.Message) int64 {
	n := len(m.Topic) + len(m.ID) + len(m.Key) + len(m.Body)
	if e := m.Event; e != nil {
		n += len(e.Type) + len(e.Source) + len(e.Time) + len(e.Subject) + len(e.DataSchema)
	}
	for _, h := range m.Headers {
		n += len(h.Name) + len(h.Value)
	}
	return int64(n)
}
