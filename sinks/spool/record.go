package spool

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"strconv"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// record is a spooled message as the store holds it: JSON, with names of
// its own so that renaming a field of sinks.Message cannot make spools
// written by an earlier version unreadable. The body is stored apart, as
// it is: in JSON it would be base64, a third larger on disk.
//
// Version 2, written now, is the JSON followed by a CRC-32C (Castagnoli,
// 4 bytes, big-endian) of the JSON and the body together, so a byte
// flipped on disk in either is found before anything is published.
// Version 1, written by earlier releases, is the JSON alone; its body is
// checked against its id (Config.Verify) only.
type record struct {
	// V is the record's version. It comes first, so a record of any
	// version starts with {"v":N and a build that cannot read it can still
	// say which version it is.
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

const (
	// recordVersion is what this build writes.
	recordVersion = 2
	// oldestVersion is the oldest it still reads.
	oldestVersion = 1
	checksumSize  = 4
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errCorrupt marks a record whose bytes changed after they were written:
// it is quarantined, never published.
var errCorrupt = errors.New("corrupt spool record")

// VersionError is a record written by a build with another record format
// (a newer one, before a rollback): kept in the quarantine, untouched,
// until a build that reads its version runs.
type VersionError struct{ Version int }

func (e *VersionError) Error() string {
	return fmt.Sprintf("a spooled record has format version %d; this build reads versions %d to %d: a hirebridge that writes version %d can forward it",
		e.Version, oldestVersion, recordVersion, e.Version)
}

// encode renders m, accepted at at, for the store: the record, whose
// checksum covers the body stored beside it.
func encode(m *sinks.Message, at time.Time) ([]byte, error) {
	r := record{V: recordVersion, At: at.UnixNano(), Topic: m.Topic, ID: m.ID, Key: m.Key}
	if e := m.Event; e != nil {
		r.Event = &recordEvent{Type: e.Type, Source: e.Source, Time: e.Time, Subject: e.Subject, DataSchema: e.DataSchema}
	}
	for _, h := range m.Headers {
		r.Headers = append(r.Headers, recordHeader(h))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, err
	}
	return binary.BigEndian.AppendUint32(b, checksum(b, m.Body)), nil
}

func checksum(rec, body []byte) uint32 {
	return crc32.Update(crc32.Checksum(rec, castagnoli), castagnoli, body)
}

// decode reads a stored record and its body back into the message it was.
// A record that does not check out is errCorrupt; one of a version this
// build does not read is a *VersionError.
func decode(b, body []byte) (*sinks.Message, time.Time, error) {
	v, ok := version(b)
	switch {
	case !ok:
		return nil, time.Time{}, fmt.Errorf("%w: its header is unreadable", errCorrupt)
	case v == 1:
	case v == recordVersion:
		if len(b) < checksumSize {
			return nil, time.Time{}, fmt.Errorf("%w: too short", errCorrupt)
		}
		b, sum := b[:len(b)-checksumSize], binary.BigEndian.Uint32(b[len(b)-checksumSize:])
		if checksum(b, body) != sum {
			return nil, time.Time{}, fmt.Errorf("%w: its checksum does not match its bytes", errCorrupt)
		}
		return unmarshal(b, body)
	default:
		return nil, time.Time{}, &VersionError{Version: v}
	}
	return unmarshal(b, body)
}

func unmarshal(b, body []byte) (*sinks.Message, time.Time, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %w", errCorrupt, err)
	}
	if r.Topic == "" || r.ID == "" {
		return nil, time.Time{}, fmt.Errorf("%w: no topic or id", errCorrupt)
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

// version reads N from the {"v":N that every record version starts with.
func version(b []byte) (int, bool) {
	rest, ok := bytes.CutPrefix(b, []byte(`{"v":`))
	if !ok {
		return 0, false
	}
	n := 0
	for n < len(rest) && n < 9 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	if n == 0 || n == len(rest) || (rest[n] != ',' && rest[n] != '}') {
		return 0, false
	}
	v, err := strconv.Atoi(string(rest[:n]))
	return v, err == nil
}

// acceptedAt is when the record was accepted, 0 when it cannot be read.
func acceptedAt(b []byte) int64 {
	v, ok := version(b)
	if !ok || v < oldestVersion || v > recordVersion {
		return 0
	}
	if v == recordVersion && len(b) >= checksumSize {
		b = b[:len(b)-checksumSize]
	}
	var r struct {
		At int64 `json:"at"`
	}
	if json.Unmarshal(b, &r) != nil {
		return 0
	}
	return r.At
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
