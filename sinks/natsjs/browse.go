package natsjs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/errgroup"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Browser = (*Sink)(nil)
	_ sinks.Browser = (*Follower)(nil)
)

// A search reads the stream backwards in windows of sequences, each read
// forwards by one consumer: the first small, as most searches (the newest
// page, a recent id) end within it, then growing, so that reading the
// whole scan bound costs a handful of consumers rather than hundreds.
const (
	firstWindow  = 1_000
	windowGrowth = 4
	// searchBatch is how many messages one pull asks for: headers alone
	// are a few hundred bytes, so a large batch keeps round trips few;
	// with bodies a smaller one keeps what the client buffers bounded.
	searchBatch       = 10_000
	searchBodiesBatch = 1_000
)

// splitWindow is the smallest window span reads in two halves at once:
// below it a second consumer costs more than it saves. A variable for
// the tests, which split small windows.
var splitWindow uint64 = 8_000

// Search answers q from the stream, newest first (sinks.Browser).
func (s *Sink) Search(ctx context.Context, q sinks.Query) (sinks.Found, error) {
	return search(ctx, s.nc, s.js, s.cfg.Stream, q)
}

// Search answers q from the followed stream, newest first, so that tools
// connected as followers search without opening a sink.
func (f *Follower) Search(ctx context.Context, q sinks.Query) (sinks.Found, error) {
	return search(ctx, f.conn, f.js, f.stream, q)
}

// searching is one search's state: how many more messages it may read and
// the matches so far, newest first.
type searching struct {
	js     jetstream.JetStream
	stream string
	q      sinks.Query
	limit  int
	budget int
	found  sinks.Found
}

// search reads windows of the stream's sequences from the newest back,
// each with a consumer filtered by q.Filter (so the server skips other
// subjects, and reads headers only unless bodies are wanted), until limit
// matches, the scan bound or the oldest message in range. Since and Until
// become sequences first, so a page of older results does not read the
// newer ones again, and nothing older than Since counts as scanned.
func search(ctx context.Context, nc *nats.Conn, js jetstream.JetStream, stream string, q sinks.Query) (sinks.Found, error) {
	if q.Filter == "" {
		return sinks.Found{}, errors.New("searching: a subject filter is required, such as prefix.>")
	}
	st, err := js.Stream(ctx, stream)
	if err != nil {
		return sinks.Found{}, fmt.Errorf("searching stream %s: %w", stream, err)
	}
	info := st.CachedInfo()
	if err := CheckFilter(q.Filter, info.Config.Subjects); err != nil {
		return sinks.Found{}, &sinks.FilterError{Filter: q.Filter, Err: err}
	}
	s := &searching{js: js, stream: stream, q: q, limit: q.Limit, budget: q.Scan}
	if s.limit <= 0 {
		s.limit = sinks.DefaultLimit
	}
	if s.budget <= 0 {
		s.budget = sinks.DefaultScan
	}
	s.found.Messages = []sinks.Stored{}
	if info.State.Msgs == 0 {
		return s.found, nil
	}
	low, high := info.State.FirstSeq, info.State.LastSeq
	if !q.Since.IsZero() {
		seq, ok, err := firstSince(ctx, nc, stream, q.Filter, q.Since)
		switch {
		case err != nil:
			return sinks.Found{}, err
		case !ok:
			return s.found, nil
		}
		low = max(low, seq)
	}
	if !q.Until.IsZero() {
		seq, ok, err := firstSince(ctx, nc, stream, q.Filter, q.Until)
		switch {
		case err != nil:
			return sinks.Found{}, err
		case ok && seq <= low:
			return s.found, nil
		case ok:
			high = min(high, seq-1)
		}
	}
	// Each window after the first is sized from how densely the filter
	// matched so far, so that it holds about what the scan bound leaves:
	// a filter taking every message ends within the bound, a sparse one
	// (the dead letters) skips far back at once.
	end, window := high, uint64(firstWindow)
	var covered, read uint64
	for end >= low && len(s.found.Messages) < s.limit && s.budget > 0 {
		size := window
		if read > 0 {
			size = min(size, max(1, (uint64(s.budget)*covered+read-1)/read))
		}
		start := low
		if end-low+1 > size {
			start = end - size + 1
		}
		got, err := s.span(ctx, start, end)
		if err != nil {
			return sinks.Found{}, err
		}
		covered += end - start + 1
		read += got
		end, window = start-1, window*windowGrowth
	}
	if !s.found.Truncated && s.budget == 0 && len(s.found.Messages) < s.limit && end >= low {
		older, err := s.holds(ctx, st, low, end)
		if err != nil {
			return sinks.Found{}, err
		}
		s.found.Truncated = older
	}
	return s.found, nil
}

// span reads the window from start to end as window does, in two halves
// read at once when it is large and the budget holds all of it (so
// neither half is cut short by the bound). One consumer keeps about one
// core busy, the server reading its store and the client decoding
// headers in turn; two keep both of a small machine's, which brings an
// id lookup through the newest 100,000 within a second (SPEC 12).
func (s *searching) span(ctx context.Context, start, end uint64) (uint64, error) {
	size := end - start + 1
	if size < splitWindow || size > uint64(s.budget) {
		return s.window(ctx, start, end)
	}
	mid := start + size/2
	newer, older := s.part(end-mid+1), s.part(mid-start)
	var g errgroup.Group
	var gotNewer, gotOlder uint64
	g.Go(func() (err error) { gotNewer, err = newer.window(ctx, mid, end); return err })
	g.Go(func() (err error) { gotOlder, err = older.window(ctx, start, mid-1); return err })
	if err := g.Wait(); err != nil {
		return 0, err
	}
	for _, p := range []*searching{newer, older} {
		s.found.Scanned += p.found.Scanned
		s.budget -= p.found.Scanned
		for _, st := range p.found.Messages {
			if len(s.found.Messages) < s.limit {
				s.found.Messages = append(s.found.Messages, st)
			}
		}
	}
	return gotNewer + gotOlder, nil
}

// part is a search of size sequences of the same query, for span: its
// own matches and budget, answering what s still needs.
func (s *searching) part(size uint64) *searching {
	return &searching{js: s.js, stream: s.stream, q: s.q, limit: s.limit - len(s.found.Messages), budget: int(size),
		found: sinks.Found{Messages: []sinks.Stored{}}}
}

// window reads the messages on the filter from start to end, adds its
// newest matches, newest first, up to the limit, and returns how many it
// read. A message past end (the filter skipped the rest of the window) or
// the last one the consumer has ends it. When the window held more than
// the budget, only the newest within it count, and the search is cut
// short.
//
// q.Match is called only on messages the budget counts: when the window
// may hold more than the budget, which ones is known at its end, so the
// candidates that pass the other tests are kept and Match is called on
// them then, newest first, until the limit.
func (s *searching) window(ctx context.Context, start, end uint64) (uint64, error) {
	cc := jetstream.ConsumerConfig{
		Description:       "hirebridge searching " + s.q.Filter,
		FilterSubject:     s.q.Filter,
		DeliverPolicy:     jetstream.DeliverByStartSequencePolicy,
		OptStartSeq:       start,
		AckPolicy:         jetstream.AckNonePolicy,
		HeadersOnly:       !s.q.Bodies,
		InactiveThreshold: time.Minute,
		MemoryStorage:     true,
	}
	cons, err := s.js.CreateConsumer(ctx, s.stream, cc)
	if err != nil {
		return 0, fmt.Errorf("searching %s on stream %s: %w", s.q.Filter, s.stream, err)
	}
	defer func() {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = s.js.DeleteConsumer(dctx, s.stream, cons.CachedInfo().Name)
	}()
	batch := searchBatch
	if s.q.Bodies {
		batch = searchBodiesBatch
	}
	want := min(cons.CachedInfo().NumPending, end-start+1)
	need := s.limit - len(s.found.Messages)
	deferMatch := s.q.Match != nil && want > uint64(s.budget)
	keep := need
	if deferMatch {
		// Only the newest budget of those read count, so no more
		// candidates than that can be answered.
		keep = s.budget
	}
	type match struct {
		st sinks.Stored
		at uint64 // its place among those read
	}
	// Oldest first, the newest keep of them: the matches, or the
	// candidates while Match waits for the window's end.
	var matches []match
	var got uint64
	for done := false; got < want && !done; {
		// No wait: the server sends what it holds and ends the pull, so
		// messages removed meanwhile (max age) end the window rather
		// than leave it waiting.
		msgs, err := cons.FetchNoWait(int(min(want-got, uint64(batch))))
		if err != nil {
			return 0, fmt.Errorf("searching %s on stream %s: %w", s.q.Filter, s.stream, err)
		}
		n := 0
		for m := range msgs.Messages() {
			n++
			if done {
				continue // drain the pull, which ends by itself
			}
			md, err := m.Metadata()
			if err != nil {
				continue
			}
			if md.Sequence.Stream > end {
				done = true
				continue
			}
			if st, ok := s.match(m, md, !deferMatch); ok {
				if len(matches) == keep {
					matches = matches[1:]
				}
				matches = append(matches, match{st, got})
			}
			got++
			if md.NumPending == 0 || md.Sequence.Stream == end {
				done = true
			}
		}
		if err := msgs.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) {
			return 0, fmt.Errorf("searching %s on stream %s: %w", s.q.Filter, s.stream, err)
		}
		if n == 0 {
			break
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
	}
	counted := min(got, uint64(s.budget))
	s.found.Scanned += int(counted)
	s.budget -= int(counted)
	for i := len(matches) - 1; i >= 0 && len(s.found.Messages) < s.limit; i-- {
		if matches[i].at < got-counted {
			break
		}
		if deferMatch && !s.q.Match(matches[i].st) {
			continue
		}
		s.found.Messages = append(s.found.Messages, matches[i].st)
	}
	// Messages read beyond the budget are older than those counted: left
	// unread, as far as the answer goes.
	s.found.Truncated = got > counted && len(s.found.Messages) < s.limit
	return got, ctx.Err()
}

// match tests m against the query, the cheap tests on the raw headers
// first, q.Match last when withMatch, and returns it in the Follower's
// form when it passes.
func (s *searching) match(m jetstream.Msg, md *jetstream.MsgMetadata, withMatch bool) (sinks.Stored, bool) {
	q := &s.q
	h := m.Headers()
	id := h.Get(jetstream.MsgIDHeader)
	if id == "" {
		// Published by something other than the bridge: its CloudEvents
		// id is the only one it has.
		id = DecodeAttribute(h.Get(events.NATS.ID))
	}
	switch {
	case q.ID != "" && id != q.ID,
		q.Type != "" && DecodeAttribute(h.Get(events.NATS.Type)) != q.Type,
		q.Subject != "" && DecodeAttribute(h.Get(events.NATS.Subject)) != q.Subject,
		!q.Since.IsZero() && md.Timestamp.Before(q.Since),
		!q.Until.IsZero() && !md.Timestamp.Before(q.Until):
		return sinks.Stored{}, false
	}
	st := followed(m)
	st.ID = id
	st.Time = md.Timestamp
	if !q.Bodies {
		st.Body = nil
	}
	if withMatch && q.Match != nil && !q.Match(st) {
		return sinks.Stored{}, false
	}
	return st, true
}

// holds reports whether a message on the filter lies between low and end:
// one the scan bound left unread.
func (s *searching) holds(ctx context.Context, st jetstream.Stream, low, end uint64) (bool, error) {
	m, err := st.GetMsg(ctx, low, jetstream.WithGetMsgSubject(s.q.Filter))
	switch {
	case errors.Is(err, jetstream.ErrMsgNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("searching %s on stream %s: %w", s.q.Filter, s.stream, err)
	}
	return m.Sequence <= end, nil
}

// firstSince returns the sequence of the first message on filter stored at
// or after t, and false when there is none. The server finds it from its
// index of times; the client library has no option for it, so the request
// is made as the JetStream API documents it.
func firstSince(ctx context.Context, nc *nats.Conn, stream, filter string, t time.Time) (uint64, bool, error) {
	req, err := json.Marshal(struct {
		StartTime time.Time `json:"start_time"`
		NextFor   string    `json:"next_by_subj"`
	}{t.UTC(), filter})
	if err != nil {
		return 0, false, err
	}
	rctx, cancel := context.WithTimeout(ctx, readWait)
	defer cancel()
	reply, err := nc.RequestWithContext(rctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return 0, false, fmt.Errorf("finding the first message on %s since %s in stream %s: %w", filter, t.Format(time.RFC3339), stream, err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"code"`
			ErrCode     int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
	}
	if err := json.Unmarshal(reply.Data, &resp); err != nil {
		return 0, false, fmt.Errorf("finding the first message on %s since %s in stream %s: %w", filter, t.Format(time.RFC3339), stream, err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrCode == int(jetstream.JSErrCodeMessageNotFound):
		return 0, false, nil
	case resp.Error != nil:
		return 0, false, fmt.Errorf("finding the first message on %s since %s in stream %s: %s (%d)", filter, t.Format(time.RFC3339), stream, resp.Error.Description, resp.Error.ErrCode)
	case resp.Message == nil:
		return 0, false, fmt.Errorf("finding the first message on %s since %s in stream %s: %w", filter, t.Format(time.RFC3339), stream, jetstream.ErrInvalidJetStreamResponse)
	}
	return resp.Message.Seq, true, nil
}
