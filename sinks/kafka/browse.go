package kafka

import (
	"cmp"
	"context"
	"fmt"
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
