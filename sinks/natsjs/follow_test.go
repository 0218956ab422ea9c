package natsjs_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// The follower gives headers in the form both brokers' followers share:
// attributes decoded, the content type once, none of JetStream's own.
func TestFollowerHeaders(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	sink := open(t, c)
	m := event("id-1", "job_added")
	m.Key, m.Event.Subject = "app 1/ü", "app 1/ü"
	if _, err := sink.Publish(ctxFor(t, 5*time.Second), m); err != nil {
		t.Fatal(err)
	}

	f, err := natsjs.NewFollower(c, "follow-test")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	started := false
	var got sinks.Stored
	err = f.Follow(ctx, testPrefix+".>", true, func() { started = true }, func(st sinks.Stored) error {
		got = st
		cancel()
		return nil
	})
	if err != nil || !started {
		t.Fatalf("Follow: %v (started %v)", err, started)
	}
	headers := map[string]string{}
	for _, h := range got.Headers {
		headers[h.Name] = h.Value
	}
	if got.Topic != "hirempire.job_added" || headers["ce-id"] != "id-1" || headers["ce-subject"] != "app 1/ü" ||
		headers["content-type"] != "application/json" || headers["Nats-Msg-Id"] != "" || headers["ce-datacontenttype"] != "" {
		t.Errorf("followed %s with headers %v", got.Topic, headers)
	}
}

// A filter that can match nothing the stream captures is refused at once,
// as a *sinks.FilterError.
func TestFollowerRefusesFilter(t *testing.T) {
	srv := natstest.Start(t)
	c := config(srv.URL())
	open(t, c)
	f, err := natsjs.NewFollower(c, "follow-test")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, filter := range []string{"hirempire.job_*", "other.>"} {
		err := f.Follow(ctxFor(t, 5*time.Second), filter, false, func() { t.Errorf("%s: started", filter) }, nil)
		var fe *sinks.FilterError
		if !errors.As(err, &fe) || fe.Filter != filter {
			t.Errorf("%s: %v, want a *sinks.FilterError", filter, err)
		}
	}
}
