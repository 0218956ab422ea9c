package kafka

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/sync/errgroup"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Browser = (*Sink)(nil)

// Searching pace. Kafka has no index but offsets, and records come whole
// (there is no headers-only fetch), so a search reads the newest records of
// every partition it covers, in rounds: each round reads, below what was
// read, a window of each partition, all partitions at once, the windows
// growing round by round. A list of the newest events ends after the first
// round or two; an id lookup reads the whole bound in a handful of rounds.
const (
	// browseFirstWindow is the least a partition's first window holds:
	// the first round reads about twice the matches asked for in all.
	browseFirstWindow = 32
	// browseGrowth is how much larger each round's windows are.
	browseGrowth = 4
	// browseParallel bounds the partitions fetched at once.
	browseParallel = 8
	// browseFetchBytes is one fetch's size: few round trips for a large
	// window, with at most browseParallel of them in memory at once.
	browseFetchBytes = 8 << 20
	// browseMaxWindow caps the windows' growth, far above any bound on
	// the records read, so that no sum of them overflows.
	browseMaxWindow = 1 << 30
	// browseMaxWait is how long a fetch waits at a partition's end; a
	// window is below the end listed, so records are there at once.
	browseMaxWait = 100 * time.Millisecond
)

// deadLetterIDPrefix begins every dead letter's id: a query for an id
// without it needs no dead letter's body hashed.
var deadLetterIDPrefix = strings.TrimSuffix(events.DeadLetterID(nil), events.ContentID(nil))

// Search reads the topics under q.Filter newest first: see
// sinks.Browser. Topics are named as NATS subjects are, so a filter means
// the same on both brokers; the resolved marks' topic is never searched.
// A filter that matches no topic finds nothing.
//
// Records are ordered by their timestamps, across partitions and topics;
// a partition's timestamps are taken to grow with its offsets, as they do
// for records the bridge writes (give or take the clocks of its replicas).
// q.Match is called once per candidate, in no particular order, from as
// many goroutines as partitions are read at once (sinks.Query.Match is a
// pure predicate).
func (s *Sink) Search(ctx context.Context, q sinks.Query) (sinks.Found, error) {
	if err := sinks.CheckPattern(q.Filter); err != nil {
		return sinks.Found{}, &sinks.FilterError{Filter: q.Filter, Err: err}
	}
	r := s.browser()
	all, err := r.Topics(ctx)
	if err != nil {
		return sinks.Found{}, fmt.Errorf("kafka at %v: %w", s.cfg.Brokers, err)
	}
	var topics []string
	for _, t := range all {
		if sinks.Matches(q.Filter, t) && !strings.HasPrefix(t, resolvedTopicPrefix) {
			topics = append(topics, t)
		}
	}
	found, err := r.search(ctx, topics, q)
	if err != nil {
		return found, fmt.Errorf("kafka at %v: searching %s: %w", s.cfg.Brokers, q.Filter, err)
	}
	return found, nil
}

// browser reads through the sink's connections with a reader's timeout:
// the sink's client times requests out after AckTimeout, made for small
// produce requests, not fetches of many megabytes from a busy broker.
func (s *Sink) browser() *Reader {
	return &Reader{client: &kafkago.Client{Addr: s.client.Addr, Transport: s.client.Transport, Timeout: readTimeout}}
}

// cursor is what is left to read of one partition: the offsets [lo, hi).
type cursor struct {
	topic string
	part  int
	lo    int64
	hi    int64
	// frontier is the timestamp of the lowest offset read, which no
	// record left unread is newer than; unknown until a record is read.
	frontier time.Time
	known    bool
}

func (c *cursor) unread() bool { return c.hi > c.lo }

// hit is a match, with where it is, to order ties the same every time.
type hit struct {
	st   sinks.Stored
	part int
	off  int64
}

// newer orders hits newest first.
func newer(a, b hit) int {
	if c := b.st.Time.Compare(a.st.Time); c != 0 {
		return c
	}
	if c := cmp.Compare(a.st.Topic, b.st.Topic); c != 0 {
		return c
	}
	if c := cmp.Compare(a.part, b.part); c != 0 {
		return c
	}
	return cmp.Compare(b.off, a.off)
}

// best sorts hs newest first and keeps the newest n: an older match can
// never be answered once n newer ones are known.
func best(hs []hit, n int) []hit {
	slices.SortFunc(hs, newer)
	clear(hs[min(n, len(hs)):])
	return hs[:min(n, len(hs))]
}

// search reads topics' partitions in rounds of growing windows until
// q.Limit matches are known that no unread record can be newer than, or
// nothing is left, or q.Scan records were read.
func (r *Reader) search(ctx context.Context, topics []string, q sinks.Query) (sinks.Found, error) {
	limit, scan := q.Limit, q.Scan
	if limit <= 0 {
		limit = sinks.DefaultLimit
	}
	if scan <= 0 {
		scan = sinks.DefaultScan
	}
	// An empty list, not nil, as on NATS: it encodes as [].
	found := sinks.Found{Messages: []sinks.Stored{}}
	cursors, err := r.cursors(ctx, topics, q.Since, q.Until)
	if err != nil || len(cursors) == 0 {
		return found, err
	}
	m := &matcher{q: q}
	var kept []hit
	w := max(browseFirstWindow, (2*limit+len(cursors)-1)/len(cursors))
	for ; ; w = min(w*browseGrowth, browseMaxWindow) {
		var active []*cursor
		for _, c := range cursors {
			if c.unread() {
				active = append(active, c)
			}
		}
		if len(active) == 0 {
			break
		}
		left := scan - found.Scanned
		if left <= 0 {
			found.Truncated = true
			break
		}
		windows := plan(active, w, left)
		hits := make([][]hit, len(active))
		read := make([]int, len(active))
		g, gctx := errgroup.WithContext(ctx)
		g.SetLimit(browseParallel)
		for i, c := range active {
			if windows[i] == 0 {
				continue
			}
			g.Go(func() error {
				var err error
				read[i], hits[i], err = r.window(gctx, c, max(c.lo, c.hi-windows[i]), limit, m)
				return err
			})
		}
		if err := g.Wait(); err != nil {
			return found, err
		}
		for i := range active {
			found.Scanned += read[i]
			kept = append(kept, hits[i]...)
		}
		kept = best(kept, limit)
		if len(kept) == limit && final(cursors, kept[limit-1].st.Time) {
			break
		}
	}
	found.Messages = make([]sinks.Stored, len(kept))
	for i, h := range kept {
		found.Messages[i] = h.st
	}
	return found, nil
}

// final reports whether no record left unread can be newer than t.
func final(cursors []*cursor, t time.Time) bool {
	for _, c := range cursors {
		if c.unread() && (!c.known || c.frontier.After(t)) {
			return false
		}
	}
	return true
}

// plan sizes each active partition's window: w offsets, or, when that
// would read past the bound, the records left shared out, the partitions
// whose unread records may be newest served first.
func plan(active []*cursor, w, left int) []int64 {
	windows := make([]int64, len(active))
	if len(active)*w <= left {
		for i := range windows {
			windows[i] = int64(w)
		}
		return windows
	}
	order := make([]int, len(active))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		ca, cb := active[a], active[b]
		switch {
		case !ca.known || !cb.known:
			// Unknown first: they may hold the newest.
			return cmp.Compare(boolRank(ca.known), boolRank(cb.known))
		default:
			return cb.frontier.Compare(ca.frontier)
		}
	})
	share, extra := left/len(active), left%len(active)
	for rank, i := range order {
		windows[i] = int64(share)
		if rank < extra {
			windows[i]++
		}
	}
	return windows
}

func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// cursors lists the partitions of topics with what a search reads of each:
// from the first record stored at or after since (the first held when
// since is zero) to the end, or, with until, to the first record stored a
// little after it (timestamps need not grow strictly with offsets).
// Partitions of topics deleted meanwhile are left out.
func (r *Reader) cursors(ctx context.Context, topics []string, since, until time.Time) ([]*cursor, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	md, err := r.client.Metadata(ctx, &kafkago.MetadataRequest{Topics: topics})
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	parts := map[string][]int{}
	for _, t := range md.Topics {
		if t.Error != nil {
			if errors.Is(t.Error, kafkago.UnknownTopicOrPartition) {
				continue
			}
			return nil, fmt.Errorf("topic %s: %w", t.Name, t.Error)
		}
		for _, p := range t.Partitions {
			parts[t.Name] = append(parts[t.Name], p.ID)
		}
	}
	if len(parts) == 0 {
		return nil, nil
	}
	ends, err := r.offsetsOf(ctx, parts, kafkago.LastOffsetOf)
	if err != nil {
		return nil, err
	}
	starts, err := r.offsetsOf(ctx, parts, func(p int) kafkago.OffsetRequest {
		if since.IsZero() {
			return kafkago.FirstOffsetOf(p)
		}
		return kafkago.TimeOffsetOf(p, since)
	})
	if err != nil {
		return nil, err
	}
	var bounds map[topicPartition]int64
	if !until.IsZero() {
		bounds, err = r.offsetsOf(ctx, parts, func(p int) kafkago.OffsetRequest {
			return kafkago.TimeOffsetOf(p, until.Add(timestampSlack))
		})
		if err != nil {
			return nil, err
		}
	}
	var cs []*cursor
	for tp, end := range ends {
		start, ok := starts[tp]
		if !ok || start < 0 {
			continue // nothing stored at or after since
		}
		if b, ok := bounds[tp]; ok && b >= 0 && b < end {
			end = b
		}
		cs = append(cs, &cursor{topic: tp.topic, part: tp.partition, lo: start, hi: end})
	}
	slices.SortFunc(cs, func(a, b *cursor) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.part, b.part))
	})
	return cs, nil
}

// offsetsOf asks for one offset of each partition of parts, in one
// request: q builds the request of one. A time with no record at or after
// it answers -1. Partitions of topics deleted meanwhile are left out.
func (r *Reader) offsetsOf(ctx context.Context, parts map[string][]int, q func(p int) kafkago.OffsetRequest) (map[topicPartition]int64, error) {
	req := &kafkago.ListOffsetsRequest{Topics: make(map[string][]kafkago.OffsetRequest, len(parts))}
	for topic, ps := range parts {
		for _, p := range ps {
			req.Topics[topic] = append(req.Topics[topic], q(p))
		}
	}
	res, err := r.client.ListOffsets(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("listing offsets: %w", err)
	}
	out := map[topicPartition]int64{}
	for topic, pos := range res.Topics {
		for _, po := range pos {
			tp := topicPartition{topic: topic, partition: po.Partition}
			switch {
			case errors.Is(po.Error, kafkago.UnknownTopicOrPartition):
				continue
			case po.Error != nil:
				return nil, fmt.Errorf("topic %s partition %d: listing offsets: %w", topic, po.Partition, po.Error)
			}
			switch q(po.Partition).Timestamp {
			case kafkago.FirstOffset:
				out[tp] = po.FirstOffset
			case kafkago.LastOffset:
				out[tp] = po.LastOffset
			default:
				out[tp] = -1
				for o := range po.Offsets {
					out[tp] = o
				}
			}
		}
	}
	return out, nil
}

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
		id = deadLetterID(original, body)
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

// deadLetterID is the id the bridge gave a dead letter, which Kafka
// records carry in no header: an undeliverable event's is made of the
// event's id, kept in hirebridge-original-id; a rejected body's is made of
// the body.
func deadLetterID(original string, body []byte) string {
	if original != "" {
		return events.UndeliverableID(original)
	}
	return events.DeadLetterID(body)
}
