package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The topics openSink creates, 3 partitions each.
const (
	appliedTopic = prefix + ".applicant_applied"
	jobTopic     = prefix + ".job_created"
	dlqTopic     = prefix + ".dlq"
)

// eventRecord is an event as the sink writes it (record.go), to partition
// part with the timestamp at: written with franz-go, so a test chooses
// where and when each record is, which the order of a search depends on.
func eventRecord(topic string, part int32, id, subject string, at time.Time, body []byte) *kgo.Record {
	typ := "com.hirempire." + strings.TrimPrefix(topic, prefix+".")
	return &kgo.Record{
		Topic: topic, Partition: part, Key: []byte(subject), Value: body, Timestamp: at,
		Headers: []kgo.RecordHeader{
			{Key: "ce_specversion", Value: []byte("1.0")},
			{Key: "ce_id", Value: []byte(id)},
			{Key: "ce_source", Value: []byte("https://app.hirempire.com")},
			{Key: "ce_type", Value: []byte(typ)},
			{Key: "ce_time", Value: []byte("2026-01-30T00:14:56.395Z")},
			{Key: "ce_subject", Value: []byte(subject)},
			{Key: "content-type", Value: []byte("application/json")},
			{Key: "hirebridge-source", Value: []byte("default")},
		},
	}
}

// produce writes recs with franz-go, each to the partition it names,
// uncompressed as the sink writes by default.
func produce(t testing.TB, cluster *kafkatest.Cluster, recs []*kgo.Record) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(cluster.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0), kgo.MaxBufferedRecords(len(recs)+1), kgo.ProducerBatchCompression(kgo.NoCompression()))
	if err != nil {
		t.Fatalf("franz-go client: %v", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatalf("producing %d records: %v", len(recs), err)
	}
}

// search runs q and fails the test on error.
func search(t testing.TB, s *kafka.Sink, q sinks.Query) sinks.Found {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f, err := s.Search(ctx, q)
	if err != nil {
		t.Fatalf("search %+v: %v", q, err)
	}
	return f
}

func ids(ms []sinks.Stored) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.ID
	}
	return out
}

// spread writes n events, the i-th stored at base+i*10ms, on both event
// topics and all their partitions in an order that is not theirs, and
// returns their ids, oldest first. Every 4th has subject "rare".
func spread(t *testing.T, cluster *kafkatest.Cluster, base time.Time, n int) []string {
	t.Helper()
	var recs []*kgo.Record
	var written []string
	for i := range n {
		topic := appliedTopic
		if i%5 == 1 || i%5 == 3 {
			topic = jobTopic
		}
		subject := fmt.Sprintf("applicant-%d", i%7)
		if i%4 == 0 {
			subject = "rare"
		}
		id := fmt.Sprintf("ev-%03d", i)
		recs = append(recs, eventRecord(topic, int32((i*7)%3), id, subject, base.Add(time.Duration(i)*10*time.Millisecond), []byte(`{"n":`+fmt.Sprint(i)+`}`)))
		written = append(written, id)
	}
	produce(t, cluster, recs)
	return written
}

func reversed(s []string) []string {
	r := slices.Clone(s)
	slices.Reverse(r)
	return r
}

// Matches come newest first by record timestamp, across topics and
// partitions, in the Follower's header form, without bodies unless asked.
func TestSearchNewestFirstAcrossTopicsAndPartitions(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	written := spread(t, cluster, base, 60)

	f := search(t, s, sinks.Query{Filter: prefix + ".>", Limit: 100})
	if got, want := ids(f.Messages), reversed(written); !slices.Equal(got, want) {
		t.Fatalf("ids %v,\nwant %v", got, want)
	}
	if f.Scanned != 60 || f.Truncated {
		t.Errorf("scanned %d, truncated %v; want 60, false", f.Scanned, f.Truncated)
	}
	for i, m := range f.Messages {
		at := base.Add(time.Duration(59-i) * 10 * time.Millisecond)
		if !m.Time.Equal(at) {
			t.Errorf("%s: time %v, want %v", m.ID, m.Time, at)
		}
		if m.Body != nil {
			t.Errorf("%s: body %q without Bodies", m.ID, m.Body)
		}
		if m.Header("ce-id") != m.ID || m.Header("ce_id") != "" || m.Header("content-type") != "application/json" ||
			m.Header("hirebridge-source") != "default" {
			t.Errorf("%s: headers %v, want the Follower form", m.ID, m.Headers)
		}
		if !slices.IsSortedFunc(m.Headers, func(a, b sinks.Header) int { return strings.Compare(a.Name, b.Name) }) {
			t.Errorf("%s: headers not sorted by name: %v", m.ID, m.Headers)
		}
		if want := map[bool]string{true: jobTopic, false: appliedTopic}[(59-i)%5 == 1 || (59-i)%5 == 3]; m.Topic != want {
			t.Errorf("%s: topic %s, want %s", m.ID, m.Topic, want)
		}
	}

	one := search(t, s, sinks.Query{Filter: jobTopic, ID: "ev-013", Bodies: true})
	if len(one.Messages) != 1 || one.Messages[0].ID != "ev-013" || string(one.Messages[0].Body) != `{"n":13}` {
		t.Fatalf("id lookup with bodies: %+v", one.Messages)
	}
	if one.Scanned != 24 {
		t.Errorf("id lookup scanned %d records of %s, want its 24", one.Scanned, jobTopic)
	}
}

// A search that stops at Limit returns what reading everything would,
// cut at Limit: the merge of partitions read in windows never answers a
// match while an unread record could be newer. The records are skewed
// (the oldest third on one partition, the newest third on another, the
// rest spread) and some matches sparse, so that several rounds of windows
// are read, and a first round finds older matches on sparse partitions
// than the dense one still holds unread.
func TestSearchLimitAgreesWithFullRead(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	var recs []*kgo.Record
	for i := range 900 {
		part, topic := int32(0), appliedTopic
		switch {
		case i >= 600:
			part, topic = 1, jobTopic
		case i >= 300:
			part, topic = int32(i%3), []string{appliedTopic, jobTopic}[i%2]
		}
		subject := "common"
		if i%37 == 0 {
			subject = "rare"
		}
		// Every tenth shares its millisecond with the one before: ties
		// across partitions are ordered the same way every time.
		at := base.Add(time.Duration(i-i/10) * time.Millisecond)
		recs = append(recs, eventRecord(topic, part, fmt.Sprintf("ev-%03d", i), subject, at, []byte("{}")))
	}
	produce(t, cluster, recs)

	for _, q := range []sinks.Query{
		{Filter: prefix + ".>"},
		{Filter: prefix + ".>", Subject: "rare"},
		{Filter: appliedTopic, Subject: "rare"},
		{Filter: prefix + ".*", Type: "com.hirempire.job_created"},
	} {
		all := q
		all.Limit = 1000
		full := search(t, s, all)
		if full.Truncated {
			t.Fatalf("%+v: the full read was truncated", q)
		}
		if !slices.IsSortedFunc(full.Messages, func(a, b sinks.Stored) int { return b.Time.Compare(a.Time) }) {
			t.Fatalf("%+v: not newest first: %v", q, ids(full.Messages))
		}
		for _, limit := range []int{1, 2, 5, 17, 50} {
			q.Limit = limit
			f := search(t, s, q)
			want := ids(full.Messages)[:min(limit, len(full.Messages))]
			if got := ids(f.Messages); !slices.Equal(got, want) {
				t.Errorf("%+v: %v, want %v", q, got, want)
			}
			if f.Truncated {
				t.Errorf("%+v: truncated", q)
			}
		}
	}

	// The newest few need not read everything.
	if f := search(t, s, sinks.Query{Filter: prefix + ".>", Limit: 5}); f.Scanned >= 900 || len(f.Messages) != 5 || f.Messages[0].ID != "ev-899" {
		t.Errorf("the 5 newest: scanned %d, ids %v", f.Scanned, ids(f.Messages))
	}
}

// Scan bounds the records read; stopping there with records left is
// truncated, reading them all is not.
func TestSearchScanBound(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	written := spread(t, cluster, time.Now().Add(-time.Hour).Truncate(time.Millisecond), 60)

	f := search(t, s, sinks.Query{Filter: prefix + ".>", Scan: 10, Limit: 100})
	if f.Scanned != 10 || !f.Truncated || len(f.Messages) != 10 {
		t.Fatalf("scan 10: scanned %d, truncated %v, %d messages", f.Scanned, f.Truncated, len(f.Messages))
	}
	if !slices.IsSortedFunc(f.Messages, func(a, b sinks.Stored) int { return b.Time.Compare(a.Time) }) {
		t.Errorf("scan 10: not newest first: %v", ids(f.Messages))
	}
	// Each partition's newest come first: the newest of all is among them.
	if f.Messages[0].ID != written[59] {
		t.Errorf("scan 10: first %s, want %s", f.Messages[0].ID, written[59])
	}

	f = search(t, s, sinks.Query{Filter: prefix + ".>", Scan: 10, ID: "ev-000"})
	if len(f.Messages) != 0 || !f.Truncated || f.Scanned != 10 {
		t.Errorf("the oldest beyond the bound: %v, scanned %d, truncated %v", ids(f.Messages), f.Scanned, f.Truncated)
	}
	for _, scan := range []int{60, 61} {
		f = search(t, s, sinks.Query{Filter: prefix + ".>", Scan: scan, ID: "ev-000"})
		if len(f.Messages) != 1 || f.Truncated || f.Scanned != 60 {
			t.Errorf("scan %d: %v, scanned %d, truncated %v", scan, ids(f.Messages), f.Scanned, f.Truncated)
		}
	}
}

// Every field of a query must match.
func TestSearchFilters(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	written := spread(t, cluster, base, 60)
	at := func(i int) time.Time { return base.Add(time.Duration(i) * 10 * time.Millisecond) }
	pick := func(keep func(i int) bool) []string {
		var out []string
		for i := 59; i >= 0; i-- {
			if keep(i) {
				out = append(out, written[i])
			}
		}
		return out
	}
	onJobs := func(i int) bool { return i%5 == 1 || i%5 == 3 }
	for _, c := range []struct {
		name string
		q    sinks.Query
		want []string
	}{
		{"type", sinks.Query{Type: "com.hirempire.job_created"}, pick(onJobs)},
		{"subject", sinks.Query{Subject: "rare"}, pick(func(i int) bool { return i%4 == 0 })},
		{"type and subject", sinks.Query{Type: "com.hirempire.job_created", Subject: "rare"},
			pick(func(i int) bool { return onJobs(i) && i%4 == 0 })},
		{"id", sinks.Query{ID: "ev-042"}, []string{"ev-042"}},
		{"no such id", sinks.Query{ID: "ev-999"}, nil},
		{"since", sinks.Query{Since: at(45)}, pick(func(i int) bool { return i >= 45 })},
		{"until", sinks.Query{Until: at(12)}, pick(func(i int) bool { return i < 12 })},
		{"since and until", sinks.Query{Since: at(20), Until: at(30)}, pick(func(i int) bool { return i >= 20 && i < 30 })},
		{"since after all", sinks.Query{Since: at(60)}, nil},
		{"limit", sinks.Query{Limit: 3}, pick(func(i int) bool { return i >= 57 })},
		{"match", sinks.Query{Match: func(st sinks.Stored) bool { return strings.HasSuffix(st.ID, "7") }},
			pick(func(i int) bool { return i%10 == 7 })},
		{"match and limit", sinks.Query{Limit: 2, Match: func(st sinks.Stored) bool { return st.Header("ce-subject") == "applicant-3" }},
			pick(func(i int) bool { return i%4 != 0 && i%7 == 3 })[:2]},
	} {
		q := c.q
		q.Filter = prefix + ".>"
		f := search(t, s, q)
		if got := ids(f.Messages); !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if f.Truncated {
			t.Errorf("%s: truncated", c.name)
		}
	}
	// Since starts each partition at its first record at or after it.
	if f := search(t, s, sinks.Query{Filter: prefix + ".>", Since: at(50)}); f.Scanned != 10 {
		t.Errorf("since the 50th: scanned %d, want 10", f.Scanned)
	}
}

// No topic, or empty ones, answer nothing; a filter that cannot match is
// refused.
func TestSearchEmptyAndMissingTopics(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	for _, filter := range []string{prefix + ".>", dlqTopic, prefix + ".meeting_booked", "elsewhere.>"} {
		f := search(t, s, sinks.Query{Filter: filter, ID: "x"})
		if f.Messages == nil || len(f.Messages) != 0 || f.Scanned != 0 || f.Truncated {
			t.Errorf("%s: %+v, want an empty list", filter, f)
		}
	}
	_, err := s.Search(context.Background(), sinks.Query{Filter: prefix + ".job_*"})
	var fe *sinks.FilterError
	if !errors.As(err, &fe) {
		t.Errorf("a wildcard inside a token: %v, want a FilterError", err)
	}
}

// Dead letters, published by the sink, are found by the id the bridge
// gave them: a rejected body's and an undeliverable event's.
func TestSearchDeadLettersAndPublishedEvents(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	ev := message(appliedTopic, "event-1")
	publish(t, s, ev, 5*time.Second)

	rejectedBody := []byte(`{"not":"an event"}`)
	rejected := &sinks.Message{Topic: dlqTopic, ID: events.DeadLetterID(rejectedBody), Body: rejectedBody, Headers: []sinks.Header{
		{Name: events.HeaderReason, Value: "invalid_event"},
		{Name: events.HeaderDetail, Value: "no event field"},
		{Name: events.HeaderContentType, Value: "application/json"},
	}}
	publish(t, s, rejected, 5*time.Second)
	undeliverable := sinks.Undeliverable(message(jobTopic, "event-2"), dlqTopic, errors.New("refused for good"))
	publish(t, s, undeliverable, 5*time.Second)

	f := search(t, s, sinks.Query{Filter: dlqTopic})
	if got, want := ids(f.Messages), []string{undeliverable.ID, rejected.ID}; !slices.Equal(got, want) {
		t.Fatalf("dead letters %v, want %v", got, want)
	}
	if f.Messages[1].Header(events.HeaderReason) != "invalid_event" || f.Messages[0].Header(events.HeaderReason) != events.ReasonUndeliverable {
		t.Errorf("reasons: %v / %v", f.Messages[1].Headers, f.Messages[0].Headers)
	}
	for _, m := range []*sinks.Message{ev, rejected, undeliverable} {
		for _, bodies := range []bool{false, true} {
			f := search(t, s, sinks.Query{Filter: prefix + ".>", ID: m.ID, Bodies: bodies})
			if len(f.Messages) != 1 || f.Messages[0].ID != m.ID || f.Messages[0].Topic != m.Topic {
				t.Fatalf("%s: %+v", m.ID, f.Messages)
			}
			if got := f.Messages[0].Body; bodies && string(got) != string(m.Body) || !bodies && got != nil {
				t.Errorf("%s, bodies %v: body %q", m.ID, bodies, got)
			}
			if f.Messages[0].Time.IsZero() {
				t.Errorf("%s: no time", m.ID)
			}
		}
	}
	if f := search(t, s, sinks.Query{Filter: prefix + ".>", ID: "dlq-" + events.ContentID([]byte("other"))}); len(f.Messages) != 0 {
		t.Errorf("an unknown dead letter id found %v", ids(f.Messages))
	}
}
