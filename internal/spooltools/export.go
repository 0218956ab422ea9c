package spooltools

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// Exported is one quarantined record as Export writes it.
type Exported struct {
	Seq           uint64            `json:"seq"`
	Reason        string            `json:"reason"`
	Detail        string            `json:"detail"`
	QuarantinedAt *time.Time        `json:"quarantined_at,omitempty"`
	AcceptedAt    *time.Time        `json:"accepted_at,omitempty"`
	Topic         string            `json:"topic,omitempty"`
	ID            string            `json:"id,omitempty"`
	Key           string            `json:"key,omitempty"`
	Event         *sinks.CloudEvent `json:"event,omitempty"`
	Headers       []sinks.Header    `json:"headers,omitempty"`
	// Body is the body when it is JSON, else BodyBase64 holds its bytes.
	Body       json.RawMessage `json:"body,omitempty"`
	BodyBase64 string          `json:"body_base64,omitempty"`
	// RecordBase64 holds the stored record's bytes when they cannot be
	// decoded.
	RecordBase64 string `json:"record_base64,omitempty"`
}

// Export writes the quarantine of the spool in dir, one JSON object
// (Exported) a line, in the order the records were accepted.
func Export(w io.Writer, dir string) error {
	enc := json.NewEncoder(w)
	return spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		return enc.Encode(exported(q))
	})
}

func exported(q spool.Quarantined) Exported {
	x := Exported{Seq: q.Seq, Reason: q.Reason, Detail: q.Detail}
	if !q.At.IsZero() {
		at := q.At.UTC()
		x.QuarantinedAt = &at
	}
	if q.AcceptedAt != 0 {
		at := time.Unix(0, q.AcceptedAt).UTC()
		x.AcceptedAt = &at
	}
	if m := q.Msg; m != nil {
		x.Topic, x.ID, x.Key, x.Event, x.Headers = m.Topic, m.ID, m.Key, m.Event, m.Headers
	} else {
		x.RecordBase64 = base64.StdEncoding.EncodeToString(q.Raw)
	}
	if json.Valid(q.Body) {
		x.Body = q.Body
	} else {
		x.BodyBase64 = base64.StdEncoding.EncodeToString(q.Body)
	}
	return x
}
