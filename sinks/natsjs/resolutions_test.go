package natsjs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// Marks live in a key-value bucket every replica reads: one replica's mark
// is the other's, marking again replaces it, and the bucket is nothing
// consumers of the events stream or the type cap ever see.
func TestResolutions(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	one, other := open(t, c), open(t, c)
	js := inspect(t, srv.URL())

	marks, err := one.Resolved(ctxFor(t, 5*time.Second))
	if err != nil || len(marks) != 0 || marks == nil {
		t.Fatalf("before any mark: %v, %v; want an empty map", marks, err)
	}
	if _, err := js.KeyValue(ctxFor(t, 5*time.Second), natsjs.ResolvedBucket(testStream)); !errors.Is(err, jetstream.ErrBucketNotFound) {
		t.Fatalf("reading marks created the bucket: %v", err)
	}

	dl := deadLetter(1)
	if _, err := one.Publish(ctxFor(t, 5*time.Second), dl); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 4, 20, 0, 123456789, time.UTC)
	first := sinks.Mark{At: at, By: "console", Note: "sender fixed"}
	if err := one.Resolve(ctxFor(t, 5*time.Second), dl.ID, first); err != nil {
		t.Fatal(err)
	}
	if err := one.Resolve(ctxFor(t, 5*time.Second), "dlq-second", sinks.Mark{At: at, By: "ops"}); err != nil {
		t.Fatal(err)
	}
	marks, err = other.Resolved(ctxFor(t, 5*time.Second))
	if err != nil || len(marks) != 2 || !sameMark(marks[dl.ID], first) || marks["dlq-second"].By != "ops" {
		t.Fatalf("the other replica reads %v, %v", marks, err)
	}

	replaced := sinks.Mark{At: at.Add(time.Hour), By: "alice"}
	if err := other.Resolve(ctxFor(t, 5*time.Second), dl.ID, replaced); err != nil {
		t.Fatal(err)
	}
	marks, err = one.Resolved(ctxFor(t, 5*time.Second))
	if err != nil || len(marks) != 2 || !sameMark(marks[dl.ID], replaced) {
		t.Fatalf("after replacing: %v, %v", marks, err)
	}

	if err := one.Resolve(ctxFor(t, 5*time.Second), "not a key", first); err == nil {
		t.Error("a mark under an id with spaces was accepted")
	}

	kv, err := js.KeyValue(ctxFor(t, 5*time.Second), natsjs.ResolvedBucket(testStream))
	if err != nil {
		t.Fatal(err)
	}
	status, err := kv.Status(ctxFor(t, 5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if status.History() != 1 || status.Bucket() != testStream+"_RESOLVED" {
		t.Errorf("bucket %s keeps %d values per key, want 1", status.Bucket(), status.History())
	}
	st, err := js.Stream(ctxFor(t, 5*time.Second), "KV_"+natsjs.ResolvedBucket(testStream))
	if err != nil {
		t.Fatal(err)
	}
	cfg := st.CachedInfo().Config
	if cfg.Storage != jetstream.FileStorage || cfg.Replicas != c.StreamReplicas {
		t.Errorf("bucket stored %s with %d replicas", cfg.Storage, cfg.Replicas)
	}
	for _, subject := range cfg.Subjects {
		if sinks.Overlap(subject, sinks.AllTopics(testPrefix)) {
			t.Errorf("the bucket's subject %s is among what consumers read (%s)", subject, sinks.AllTopics(testPrefix))
		}
	}

	// What consumers read and the type cap counts: the dead letter alone.
	dests, err := one.Destinations(ctxFor(t, 5*time.Second))
	if err != nil || len(dests) != 1 || dests[0] != testPrefix+".dlq" {
		t.Errorf("destinations %v, %v", dests, err)
	}
	found, err := one.Search(ctxFor(t, 5*time.Second), sinks.Query{Filter: sinks.AllTopics(testPrefix)})
	if err != nil || len(found.Messages) != 1 || found.Messages[0].ID != dl.ID {
		t.Errorf("the events stream holds %+v, %v", found, err)
	}
	info, err := js.Stream(ctxFor(t, 5*time.Second), testStream)
	if err != nil {
		t.Fatal(err)
	}
	if n := info.CachedInfo().State.Msgs; n != 1 {
		t.Errorf("the events stream holds %d messages, want the dead letter alone", n)
	}
}

// sameMark compares marks as JSON keeps them: the time's instant.
func sameMark(a, b sinks.Mark) bool {
	return a.At.Equal(b.At) && a.By == b.By && a.Note == b.Note
}
