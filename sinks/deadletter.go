package sinks

import (
	"strings"

	"github.com/hirebridge/hirebridge/schema/events"
)

// Dead letters' names (their headers, reasons and ids) are package
// events'; this file builds and reads the messages.

// HoldsItsBody reports whether m's id still derives from its body: an
// event's id is the ContentID of its body, a dead letter's ends with it.
// A message that fails was damaged after it was accepted (a spool's bytes
// flipped on disk) and must never be published under its id.
func HoldsItsBody(m *Message) bool {
	return strings.HasSuffix(m.ID, events.ContentID(m.Body))
}

// Undeliverable is the dead letter that keeps m, which the broker refused
// for good because of cause, on dlq: the body as it is, reason
// undeliverable with the broker's words as detail, the sender's trace
// context as it was, and every part of m under events.HeaderOriginalPrefix,
// so that `hirebridge replay` restores the message whole once the
// deployment is fixed.
func Undeliverable(m *Message, dlq string, cause error) *Message {
	hs := make([]Header, 0, 6+len(m.Headers)+7)
	for _, h := range m.Headers {
		if h.Name == events.HeaderTraceParent || h.Name == events.HeaderTraceState {
			hs = append(hs, h)
		}
	}
	hs = append(hs,
		Header{events.HeaderReason, events.ReasonUndeliverable},
		Header{events.HeaderDetail, OneLine(cause.Error())},
		// As every dead letter has, for the request's Content-Type.
		Header{events.HeaderContentType, events.DataContentType},
		Header{events.HeaderOriginalTopic, m.Topic},
		Header{events.HeaderOriginalID, m.ID},
	)
	// Values a sender wrote (the key above all) are percent-encoded on
	// both brokers, so none can break a header line.
	if m.Key != "" {
		hs = append(hs, Header{events.HeaderOriginalKey, PercentEncode(m.Key)})
	}
	for _, a := range m.Attributes() {
		if a.Name != "id" && a.Name != "specversion" {
			hs = append(hs, Header{events.HeaderOriginalAttributePrefix + a.Name, PercentEncode(a.Value)})
		}
	}
	for _, h := range m.Headers {
		hs = append(hs, Header{events.HeaderOriginalPrefix + h.Name, PercentEncode(h.Value)})
	}
	return &Message{Topic: dlq, ID: events.UndeliverableID(m.ID), Body: m.Body, Headers: hs}
}

// Original is the message an undeliverable dead letter kept, rebuilt from
// its events.HeaderOriginalPrefix headers (see Undeliverable), with body; ok is
// false when headers hold none.
func Original(headers []Header, body []byte) (m *Message, ok bool) {
	m = &Message{Body: body}
	var ce CloudEvent
	const attribute = events.HeaderOriginalAttributePrefix
	for _, h := range headers {
		if !strings.HasPrefix(h.Name, events.HeaderOriginalPrefix) {
			continue
		}
		switch v := PercentDecode(h.Value); h.Name {
		case events.HeaderOriginalTopic:
			m.Topic = h.Value
		case events.HeaderOriginalID:
			m.ID = h.Value
		case events.HeaderOriginalKey:
			m.Key = v
		case attribute + "type":
			ce.Type = v
		case attribute + "source":
			ce.Source = v
		case attribute + "time":
			ce.Time = v
		case attribute + "subject":
			ce.Subject = v
		case attribute + "dataschema":
			ce.DataSchema = v
		default:
			m.Headers = append(m.Headers, Header{strings.TrimPrefix(h.Name, events.HeaderOriginalPrefix), v})
		}
	}
	if m.Topic == "" || m.ID == "" {
		return nil, false
	}
	if ce.Type != "" {
		m.Event = &ce
	}
	return m, true
}
