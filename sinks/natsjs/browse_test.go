package natsjs_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// searchKinds are the event types the search tests store, in turn.
var searchKinds = []string{"job_added", "applicant_applied", "meeting_booked"}

// searchEvent is the i-th event the search tests store: its type cycles
// through searchKinds, its subject through five entities.
func searchEvent(i int, body []byte) *sinks.Message {
	m := event(fmt.Sprintf("ev-%06d", i), searchKinds[i%len(searchKinds)])
	m.Event.Subject = fmt.Sprintf("app %d", i%5)
	if body != nil {
		m.Body = body
	}
	return m
}

// deadLetter is the dead letter the sink would store for an event the
// broker refused.
func deadLetter(i int) *sinks.Message {
	return sinks.Undeliverable(searchEvent(i, nil), testPrefix+".dlq", errors.New("refused"))
}

// storeBulk publishes ms as the sink would (the same headers), many at a
// time, so a test stores 100,000 in seconds. The stream must exist.
func storeBulk(t testing.TB, url string, ms []*sinks.Message) {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc, jetstream.WithPublishAsyncMaxPending(4096))
	if err != nil {
		t.Fatal(err)
	}
	var futures []jetstream.PubAckFuture
	acked := func() {
		select {
		case <-js.PublishAsyncComplete():
		case <-time.After(2 * time.Minute):
			t.Fatal("publishes not acknowledged within 2 minutes")
		}
		for _, f := range futures {
			select {
			case err := <-f.Err():
				t.Fatalf("publishing %s: %v", f.Msg().Header.Get(jetstream.MsgIDHeader), err)
			default:
			}
		}
		futures = futures[:0]
	}
	for i, m := range ms {
		msg := &nats.Msg{Subject: m.Topic, Data: m.Body, Header: natsjs.Headers(m, testStream)}
		f, err := js.PublishMsgAsync(msg)
		if err != nil {
			t.Fatalf("publishing message %d: %v", i, err)
		}
		futures = append(futures, f)
		if i%2048 == 2047 {
			acked()
		}
	}
	acked()
}

// searchAll is every stored message, newest first, with bodies: what the
// tests compute their expectations from.
func searchAll(t *testing.T, b sinks.Browser, filter string) []sinks.Stored {
	t.Helper()
	f, err := b.Search(ctxFor(t, 30*time.Second), sinks.Query{Filter: filter, Limit: 1 << 30, Bodies: true})
	if err != nil {
		t.Fatal(err)
	}
	if f.Truncated {
		t.Fatalf("reading all of %s: truncated after %d", filter, f.Scanned)
	}
	return f.Messages
}

func ids(ms []sinks.Stored) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// keep is the messages of all that pass ok, in order.
func keep(all []sinks.Stored, ok func(sinks.Stored) bool) []string {
	var out []string
	for _, m := range all {
		if ok(m) {
			out = append(out, m.ID)
		}
	}
	return out
}

// Searches answer newest first, in the Follower's header form, bodies only
// when asked, and every filter narrows them.
func TestSearch(t *testing.T) {
	srv := natstest.Start(t)
	sink := open(t, config(srv.URL()))
	const n = 30
	var published []string
	for i := range n {
		m := searchEvent(i, nil)
		if i%7 == 3 {
			m = deadLetter(i)
		}
		if _, err := sink.Publish(ctxFor(t, 5*time.Second), m); err != nil {
			t.Fatal(err)
		}
		published = append(published, m.ID)
	}
	slices.Reverse(published)

	all := searchAll(t, sink, testPrefix+".>")
	if got := ids(all); !slices.Equal(got, published) {
		t.Fatalf("all, newest first: %v, want %v", got, published)
	}
	for i, m := range all {
		if i > 0 && m.Time.After(all[i-1].Time) {
			t.Errorf("%s stored at %s, after the newer %s", m.ID, m.Time, all[i-1].ID)
		}
		if len(m.Body) == 0 || !strings.Contains(string(m.Body), `"id"`) {
			t.Errorf("%s: body %q, want the event's", m.ID, m.Body)
		}
		if !slices.IsSortedFunc(m.Headers, func(a, b sinks.Header) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: headers not sorted: %v", m.ID, m.Headers)
		}
		for _, h := range m.Headers {
			if strings.HasPrefix(h.Name, "Nats-") || h.Name == "ce-datacontenttype" {
				t.Errorf("%s: header %s, which the Follower form leaves out", m.ID, h.Name)
			}
		}
		if strings.HasPrefix(m.ID, "ev-") && (m.Header("ce-id") != m.ID || m.Header("content-type") != "application/json" || m.Topic == testPrefix+".dlq") {
			t.Errorf("%s on %s: headers %v", m.ID, m.Topic, m.Headers)
		}
	}
	newest, oldest := all[0], all[n-1]
	if !strings.HasPrefix(oldest.ID, "ev-") || oldest.Header("ce-subject") != "app 0" {
		t.Fatalf("oldest %s has subject %q", oldest.ID, oldest.Header("ce-subject"))
	}

	type want struct {
		ids       []string
		scanned   int
		truncated bool
	}
	isEvent := func(m sinks.Stored) bool { return strings.HasPrefix(m.ID, "ev-") }
	jobs := keep(all, func(m sinks.Stored) bool { return m.Topic == testPrefix+".job_added" })
	cases := []struct {
		name string
		q    sinks.Query
		want want
	}{
		{"default limit, no bodies", sinks.Query{}, want{published, n, false}},
		{"limit", sinks.Query{Limit: 4}, want{published[:4], n, false}},
		{"oldest by id", sinks.Query{ID: oldest.ID}, want{[]string{oldest.ID}, n, false}},
		{"newest by id within a small scan", sinks.Query{ID: newest.ID, Scan: 5}, want{[]string{newest.ID}, 5, true}},
		{"oldest beyond the scan bound", sinks.Query{ID: oldest.ID, Scan: n - 1}, want{nil, n - 1, true}},
		{"oldest at the scan bound", sinks.Query{ID: oldest.ID, Scan: n}, want{[]string{oldest.ID}, n, false}},
		{"missing id", sinks.Query{ID: "ev-nope"}, want{nil, n, false}},
		{"type", sinks.Query{Type: "com.hirempire.meeting_booked"},
			want{keep(all, func(m sinks.Stored) bool { return m.Header("ce-type") == "com.hirempire.meeting_booked" }), n, false}},
		{"subject, decoded", sinks.Query{Subject: "app 2"},
			want{keep(all, func(m sinks.Stored) bool { return m.Header("ce-subject") == "app 2" }), n, false}},
		{"type and subject, limit", sinks.Query{Type: "com.hirempire.job_added", Subject: "app 0", Limit: 1},
			want{keep(all, func(m sinks.Stored) bool {
				return m.Header("ce-type") == "com.hirempire.job_added" && m.Header("ce-subject") == "app 0"
			})[:1], n, false}},
		{"since", sinks.Query{Since: all[9].Time}, want{published[:10], 10, false}},
		{"until", sinks.Query{Until: all[9].Time}, want{published[10:], n - 10, false}},
		{"since and until", sinks.Query{Since: all[19].Time, Until: all[9].Time}, want{published[10:20], 10, false}},
		{"since after all", sinks.Query{Since: newest.Time.Add(time.Second)}, want{nil, 0, false}},
		{"until before all", sinks.Query{Until: oldest.Time}, want{nil, 0, false}},
		{"match", sinks.Query{Match: isEvent}, want{keep(all, isEvent), n, false}},
		{"dead letters", sinks.Query{Filter: testPrefix + ".dlq"},
			want{keep(all, func(m sinks.Stored) bool { return m.Topic == testPrefix+".dlq" }), 4, false}},
		{"a dead letter by id", sinks.Query{Filter: testPrefix + ".dlq", ID: published[n-4]}, want{[]string{published[n-4]}, 4, false}},
		{"one subject", sinks.Query{Filter: testPrefix + ".job_added", Limit: 2},
			want{jobs[:2], len(jobs), false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := c.q
			if q.Filter == "" {
				q.Filter = testPrefix + ".>"
			}
			f, err := sink.Search(ctxFor(t, 10*time.Second), q)
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(f.Messages); !slices.Equal(got, c.want.ids) || f.Scanned != c.want.scanned || f.Truncated != c.want.truncated {
				t.Errorf("%v, scanned %d, truncated %v; want %v, %d, %v", got, f.Scanned, f.Truncated, c.want.ids, c.want.scanned, c.want.truncated)
			}
			for _, m := range f.Messages {
				if m.Body != nil {
					t.Errorf("%s: body without Bodies", m.ID)
				}
				if m.Time.IsZero() || m.Topic == "" || len(m.Headers) == 0 {
					t.Errorf("%s: time %s, topic %q, headers %v", m.ID, m.Time, m.Topic, m.Headers)
				}
			}
		})
	}

	t.Run("a follower searches too", func(t *testing.T) {
		f, err := natsjs.NewFollower(config(srv.URL()), "search-test")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		found, err := f.Search(ctxFor(t, 10*time.Second), sinks.Query{Filter: testPrefix + ".>", ID: oldest.ID, Bodies: true})
		if err != nil || len(found.Messages) != 1 || string(found.Messages[0].Body) != string(oldest.Body) {
			t.Fatalf("%+v, %v", found, err)
		}
	})
}

// A stream holding nothing, or nothing on the filter, answers nothing and
// is not truncated; a filter outside the stream is a *sinks.FilterError.
func TestSearchEmpty(t *testing.T) {
	srv := natstest.Start(t)
	sink := open(t, config(srv.URL()))
	for _, filter := range []string{testPrefix + ".>", testPrefix + ".dlq"} {
		f, err := sink.Search(ctxFor(t, 5*time.Second), sinks.Query{Filter: filter, ID: "ev-1"})
		if err != nil || len(f.Messages) != 0 || f.Messages == nil || f.Scanned != 0 || f.Truncated {
			t.Errorf("%s on an empty stream: %+v, %v", filter, f, err)
		}
	}
	if _, err := sink.Publish(ctxFor(t, 5*time.Second), event("ev-1", "job_added")); err != nil {
		t.Fatal(err)
	}
	f, err := sink.Search(ctxFor(t, 5*time.Second), sinks.Query{Filter: testPrefix + ".dlq", Scan: 1})
	if err != nil || len(f.Messages) != 0 || f.Scanned != 0 || f.Truncated {
		t.Errorf("no dead letters: %+v, %v", f, err)
	}
	// Every message removed: the stream's sequences go on, it holds none.
	js := inspect(t, srv.URL())
	st, err := js.Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Purge(ctxFor(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	f, err = sink.Search(ctxFor(t, 5*time.Second), sinks.Query{Filter: testPrefix + ".>"})
	if err != nil || len(f.Messages) != 0 || f.Scanned != 0 || f.Truncated {
		t.Errorf("purged: %+v, %v", f, err)
	}
	for _, filter := range []string{"other.>", "", testPrefix + ".job_*"} {
		_, err := sink.Search(ctxFor(t, 5*time.Second), sinks.Query{Filter: filter})
		var fe *sinks.FilterError
		if err == nil || (filter != "" && !errors.As(err, &fe)) {
			t.Errorf("filter %q: %v, want it refused", filter, err)
		}
	}
}

// Beyond the first window: thousands of events with dead letters among
// them, and deleted messages leaving gaps. Limits, scan bounds and sparse
// filters hold across windows.
func TestSearchWindows(t *testing.T) {
	srv := natstest.Start(t)
	sink := open(t, config(srv.URL()))
	const n = 6_000
	ms := make([]*sinks.Message, n)
	for i := range ms {
		ms[i] = searchEvent(i, nil)
		if i%500 == 7 {
			ms[i] = deadLetter(i)
		}
	}
	storeBulk(t, srv.URL(), ms)
	// Gaps: the newest message, and a run in the middle of a window.
	js := inspect(t, srv.URL())
	st, err := js.Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatal(err)
	}
	deleted := map[string]bool{}
	for _, seq := range []uint64{n, 2000, 2001, 2002, 4500} {
		if err := st.DeleteMsg(ctxFor(t, 5*time.Second), seq); err != nil {
			t.Fatal(err)
		}
		deleted[ms[seq-1].ID] = true
	}
	var want []string // newest first
	for i := n - 1; i >= 0; i-- {
		if !deleted[ms[i].ID] {
			want = append(want, ms[i].ID)
		}
	}
	held := len(want)

	all := searchAll(t, sink, testPrefix+".>")
	if got := ids(all); !slices.Equal(got, want) {
		t.Fatalf("all: %d messages, want %d (first %v, want %v)", len(got), len(want), got[:3], want[:3])
	}
	dlq := keep(all, func(m sinks.Stored) bool { return m.Topic == testPrefix+".dlq" })
	if len(dlq) != n/500 {
		t.Fatalf("%d dead letters, want %d", len(dlq), n/500)
	}
	cases := []struct {
		name      string
		q         sinks.Query
		ids       []string
		scanned   int
		truncated bool
	}{
		{"oldest by id", sinks.Query{ID: want[held-1]}, want[held-1:], held, false},
		{"newest page", sinks.Query{Limit: 50}, want[:50], 1000 - 1, false},
		{"a page across windows", sinks.Query{Limit: 1_500}, want[:1_500], 1000 - 1 + 4000 - 4, false},
		{"scan bound inside a window", sinks.Query{ID: want[held-1], Scan: 2_500}, nil, 2_500, true},
		{"scan bound, found just inside", sinks.Query{ID: want[2_499], Scan: 2_500}, want[2_499:2_500], 2_500, true},
		{"dead letters across windows", sinks.Query{Filter: testPrefix + ".dlq"}, dlq, len(dlq), false},
		{"dead letters, scan bound", sinks.Query{Filter: testPrefix + ".dlq", Scan: 5}, dlq[:5], 5, true},
		{"dead letters, limit", sinks.Query{Filter: testPrefix + ".dlq", Limit: 3}, dlq[:3], 10, false},
		{"until, far back", sinks.Query{Until: all[held-10].Time, Limit: 100}, want[held-9:], 9, false},
	}
	// Windows read whole, then (split at 2,000) the 4,000 one in two
	// halves at once: the answers are the same.
	for _, split := range []uint64{0, 2_000} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s, split %d", c.name, split), func(t *testing.T) {
				if split > 0 {
					defer natsjs.SplitWindows(split)()
				}
				q := c.q
				if q.Filter == "" {
					q.Filter = testPrefix + ".>"
				}
				f, err := sink.Search(ctxFor(t, 20*time.Second), q)
				if err != nil {
					t.Fatal(err)
				}
				got := ids(f.Messages)
				if !slices.Equal(got, c.ids) || f.Scanned != c.scanned || f.Truncated != c.truncated {
					if len(got) > 5 {
						got = got[:5]
					}
					t.Errorf("%d found (%v…), scanned %d, truncated %v; want %d, %d, %v", len(f.Messages), got, f.Scanned, f.Truncated, len(c.ids), c.scanned, c.truncated)
				}
			})
		}
	}
}
