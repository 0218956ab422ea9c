package sinks

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Dead letters' own headers, on both brokers.
const (
	// HeaderReason is the short code of why a body became a dead letter.
	HeaderReason = "hirebridge-reason"
	// HeaderDetail says what was wrong, in words.
	HeaderDetail = "hirebridge-detail"
	// OriginalPrefix starts the headers an undeliverable event's dead
	// letter keeps of the message it was: hirebridge-original-topic,
	// -id, -key, -ce-<attribute> and -<header> for each of its headers.
	OriginalPrefix = "hirebridge-original-"
	// ReasonUndeliverable is the dead letters of events that were valid
	// but that the broker refused for good (see ErrRefused).
	ReasonUndeliverable = "undeliverable"
)

// ContentID is the first 128 bits of the SHA-256 of b, in hex: an event's
// id (of its canonical body), and the core of a dead letter's. Ample
// against collisions, short enough for a header and a log line.
func ContentID(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// HoldsItsBody reports whether m's id still derives from its body: an
// event's id is the ContentID of its body, a dead letter's ends with it.
// A message that fails was damaged after it was accepted (a spool's bytes
// flipped on disk) and must never be published under its id.
func HoldsItsBody(m *Message) bool {
	return strings.HasSuffix(m.ID, ContentID(m.Body))
}

// UndeliverableID is the id of the dead letter of the event with id
// eventID that the broker refused: apart from the ids of rejected bodies
// ("dlq-" and the raw body's ContentID), so the two never dedupe against
// each other.
func UndeliverableID(eventID string) string { return "dlq-undeliverable-" + eventID }

// Undeliverable is the dead letter that keeps m, which the broker refused
// for good because of cause, on dlq: the body as it is, reason
// undeliverable with the broker's words as detail, the sender's trace
// context as it was, and every part of m under OriginalPrefix, so that
// `hirebridge replay` restores the message whole once the deployment is
// fixed.
func Undeliverable(m *Message, dlq string, cause error) *Message {
	hs := make([]Header, 0, 6+len(m.Headers)+7)
	for _, h := range m.Headers {
		if h.Name == "traceparent" || h.Name == "tracestate" {
			hs = append(hs, h)
		}
	}
	hs = append(hs,
		Header{HeaderReason, ReasonUndeliverable},
		Header{HeaderDetail, OneLine(cause.Error())},
		// As every dead letter has, for the request's Content-Type.
		Header{"hirebridge-content-type", DataContentType},
		Header{OriginalPrefix + "topic", m.Topic},
		Header{OriginalPrefix + "id", m.ID},
	)
	// Values a sender wrote (the key above all) are percent-encoded on
	// both brokers, so none can break a header line.
	if m.Key != "" {
		hs = append(hs, Header{OriginalPrefix + "key", PercentEncode(m.Key)})
	}
	for _, a := range m.Attributes() {
		if a.Name != "id" && a.Name != "specversion" {
			hs = append(hs, Header{OriginalPrefix + "ce-" + a.Name, PercentEncode(a.Value)})
		}
	}
	for _, h := range m.Headers {
		hs = append(hs, Header{OriginalPrefix + h.Name, PercentEncode(h.Value)})
	}
	return &Message{Topic: dlq, ID: UndeliverableID(m.ID), Body: m.Body, Headers: hs}
}

// Original is the message an undeliverable dead letter kept, rebuilt from
// its hirebridge-original-* headers (see Undeliverable), with body; ok is
// false when headers hold none.
func Original(headers []Header, body []byte) (m *Message, ok bool) {
	m = &Message{Body: body}
	var ce CloudEvent
	for _, h := range headers {
		name, found := strings.CutPrefix(h.Name, OriginalPrefix)
		if !found {
			continue
		}
		switch v := PercentDecode(h.Value); name {
		case "topic":
			m.Topic = h.Value
		case "id":
			m.ID = h.Value
		case "key":
			m.Key = v
		case "ce-type":
			ce.Type = v
		case "ce-source":
			ce.Source = v
		case "ce-time":
			ce.Time = v
		case "ce-subject":
			ce.Subject = v
		case "ce-dataschema":
			ce.DataSchema = v
		default:
			m.Headers = append(m.Headers, Header{name, v})
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
