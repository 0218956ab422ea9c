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
