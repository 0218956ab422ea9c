package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// One window of a partition read back, and which of its records match.

// window reads c's offsets [from, c.hi), keeps the newest limit matches,
// and moves c below them. It returns how many records it read.
func (r *Reader) window(ctx context.Context, c *cursor, from int64, limit int, m *matcher) (int, []hit, error) {
	var hits []hit
	n, first := 0, true
	for off := from; off < c.hi; {
		res, err := r.client.Fetch(ctx, &kafkago.FetchRequest{
			Topic: c.topic, Partition: c.part, Offset: off,
			MinBytes: 1, MaxBytes: browseFetchBytes, MaxWait: browseMaxWait,
		})
		if err == nil {
			err = res.Error
		}
		switch {
		case errors.Is(err, kafkago.OffsetOutOfRange):
			// Retention removed what was below off: the rest of the
			// partition from what it holds now.
			start, err := r.offsetsOf(ctx, map[string][]int{c.topic: {c.part}}, kafkago.FirstOffsetOf)
			if err != nil {
				return n, hits, err
			}
			s, ok := start[topicPartition{c.topic, c.part}]
			if !ok || s <= off {
				// Gone, or the same answer again: nothing more to read.
				c.lo, c.hi = 0, 0
				return n, hits, nil
			}
			c.lo, off = max(c.lo, s), max(off, s)
			continue
		case errors.Is(err, kafkago.UnknownTopicOrPartition):
			// Deleted meanwhile: it holds nothing any more.
			c.lo, c.hi = 0, 0
			return n, hits, nil
		case err != nil:
			return n, hits, fmt.Errorf("fetching %s/%d at %d: %w", c.topic, c.part, off, err)
		}
		next := off
		for next < c.hi {
			rec, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return n, hits, fmt.Errorf("reading %s/%d at %d: %w", c.topic, c.part, next, err)
			}
			if rec.Offset < off {
				continue // the fetch answers from the start of a batch
			}
			if rec.Offset >= c.hi {
				break
			}
			next = rec.Offset + 1
			n++
			if first {
				c.frontier, c.known, first = rec.Time, true, false
			}
			h, ok, err := m.match(c.topic, rec)
			if err != nil {
				return n, hits, fmt.Errorf("reading %s/%d at %d: %w", c.topic, c.part, rec.Offset, err)
			}
			if ok {
				h.part, h.off = c.part, rec.Offset
				if hits = append(hits, h); len(hits) >= 2*limit {
					hits = best(hits, limit)
				}
			}
		}
		if next == off {
			// Nothing but control records, or offsets compaction
			// removed, up to the window's end.
			break
		}
		off = next
	}
	c.hi = from
	return n, best(hits, limit), nil
}

// matcher applies a query to records.
type matcher struct {
	q sinks.Query
}

// match tells whether rec, on topic, matches, and if so returns it as
// Stored, its headers in the Follower form, sorted by name.
func (m *matcher) match(topic string, rec *kafkago.Record) (hit, bool, error) {
	q := &m.q
	if !q.Since.IsZero() && rec.Time.Before(q.Since) || !q.Until.IsZero() && !rec.Time.Before(q.Until) {
		return hit{}, false, nil
	}
	var id, typ, subject, original string
	var hasID bool
	for _, h := range rec.Headers {
		switch h.Key {
		case events.Kafka.ID:
			id, hasID = string(h.Value), true
		case events.Kafka.Type:
			typ = string(h.Value)
		case events.Kafka.Subject:
			subject = string(h.Value)
		case events.HeaderOriginalID:
			original = string(h.Value)
		}
	}
	if q.Type != "" && typ != q.Type || q.Subject != "" && subject != q.Subject {
		return hit{}, false, nil
	}
	if !hasID && q.ID != "" && !strings.HasPrefix(q.ID, deadLetterIDPrefix) {
		return hit{}, false, nil
	}
	var body []byte
	if rec.Value != nil && (q.Bodies || !hasID && original == "") {
		var err error
		if body, err = io.ReadAll(rec.Value); err != nil {
			return hit{}, false, err
		}
	}
	if !hasID {
		id = events.StoredDeadLetterID(original, body)
	}
	if q.ID != "" && id != q.ID {
		return hit{}, false, nil
	}
	st := sinks.Stored{Topic: topic, ID: id, Time: rec.Time.UTC()}
	st.Headers = make([]sinks.Header, len(rec.Headers))
	for i, h := range rec.Headers {
		st.Headers[i] = sinks.Header{Name: h.Key, Value: string(h.Value)}
	}
	st = followed(st)
	slices.SortStableFunc(st.Headers, func(a, b sinks.Header) int { return cmp.Compare(a.Name, b.Name) })
	if q.Bodies {
		st.Body = body
	}
	if q.Match != nil && !q.Match(st) {
		return hit{}, false, nil
	}
	return hit{st: st}, true, nil
}
