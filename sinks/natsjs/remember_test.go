package natsjs_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// TestRememberedIDsOutliveTheStreamsWindow: a re-sent event is answered
// duplicate, and stored once, after JetStream's duplicate window has
// passed, because the bridge remembers the ids the stream acknowledged;
// with that window off, the same re-send is stored twice.
func TestRememberedIDsOutliveTheStreamsWindow(t *testing.T) {
	for _, remember := range []int{100, 0} {
		t.Run(fmt.Sprintf("remember %d", remember), func(t *testing.T) {
			srv := natstest.Start(t)
			c := config(srv.URL())
			c.DuplicateWindow = 100 * time.Millisecond
			c.RememberIDs, c.RememberFor = remember, time.Minute
			s := open(t, c)
			for i := range 2 {
				ack, err := s.Publish(ctxFor(t, 5*time.Second), event("id-1", "job_added"))
				if err != nil {
					t.Fatal(err)
				}
				if want := i == 1 && remember > 0; ack.Duplicate != want {
					t.Errorf("publish %d: duplicate %v, want %v", i+1, ack.Duplicate, want)
				}
				time.Sleep(300 * time.Millisecond) // past JetStream's window
			}
			want := 1
			if remember == 0 {
				want = 2
			}
			if got := len(storedMsgs(t, inspect(t, srv.URL()), testStream)); got != want {
				t.Errorf("%d messages stored, want %d", got, want)
			}
		})
	}
}

// TestRememberedIDsForgottenWithTheirStream: the ids the bridge remembers
// were acknowledged by one stream. Once the server comes back with an
// empty store, a re-send of an event it held is stored anew, never
// answered duplicate from memory, even before any readiness check.
func TestRememberedIDsForgottenWithTheirStream(t *testing.T) {
	srv := natstest.Start(t)
	s := open(t, config(srv.URL()))
	if _, err := publish(t, s, event("held", "job_added"), 5*time.Second); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	srv.RestartEmpty(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ack, err := publish(t, s, event("held", "job_added"), 2*time.Second)
		if err == nil {
			if ack.Duplicate {
				t.Fatal("answered duplicate for an event the emptied server does not hold")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never stored after the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := len(storedMsgs(t, inspect(t, srv.URL()), testStream)); n != 1 {
		t.Errorf("%d messages in the new stream, want the re-sent one", n)
	}
}
