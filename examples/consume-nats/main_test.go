package main

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// durable is the consumer the tests run, the example's own.
const durable = "example-go"

// handled is what the consumer gave the handler: the event's type, the Go
// type it was decoded into, and its ce-id.
type handled struct{ event, goType, id string }

// consumeUntil consumes until want events were handled, then stops the
// consumer.
func consumeUntil(t *testing.T, nc *nats.Conn, stream, prefix string, want int, out *bytes.Buffer) []handled {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	print := printer(out)
	var got []handled
	err := consume(ctx, nc, stream, prefix, durable, func(ctx context.Context, id string, ev any) error {
		got = append(got, handled{eventOf(ev), fmt.Sprintf("%T", ev), id})
		if len(got) == want {
			cancel()
		}
		return print(ctx, id, ev)
	})
	if len(got) < want {
		t.Fatalf("the consumer handled %d events, want %d: %+v (consume: %v)", len(got), want, got, err)
	}
	if err != context.Canceled {
		t.Errorf("consume returned %v, want context.Canceled once stopped", err)
	}
	return got
}

// eventOf is the Event field every typed event has.
func eventOf(ev any) string {
	return reflect.ValueOf(ev).Elem().FieldByName("Event").String()
}

// The README's JetStream consumer against the service on a real JetStream
// server: every documented example comes out as its Go type, once, dead
// letters and undocumented types are skipped, a re-send stored again after
// the duplicate window is handled once, and the durable consumer resumes
// where it stopped.
func TestConsumeNATS(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the README's JetStream consumer run end to end against the built service and a JetStream server")
	}
	srv := natstest.Start(t)
	const stream, prefix = "HIREMPIRE", "hirempire"
	svc := servicetest.Start(t, map[string]string{
		"HIREBRIDGE_NATS_URL": srv.URL(),
		// Short, and the bridge's own window off, so the test can re-send
		// an event after it: JetStream then stores a second copy, with the
		// same ce-id.
		"HIREBRIDGE_NATS_DUPLICATE_WINDOW":  "200ms",
		"HIREBRIDGE_NATS_DEDUP_WINDOW_SIZE": "0",
	})

	examples := servicetest.Examples(t)
	names := slices.Sorted(maps.Keys(examples))
	for _, name := range names {
		if code, status := svc.Post(t, examples[name]); code != http.StatusOK || status != "published" {
			t.Fatalf("%s: %d %s", name, code, status)
		}
	}
	if code, status := svc.Post(t, []byte(`{"event":"job_added","timestamp":"yesterday"}`)); code != http.StatusUnprocessableEntity {
		t.Fatalf("a bad timestamp: %d %s, want 422 and a dead letter", code, status)
	}
	if code, status := svc.Post(t, []byte(`{"event":"note_added","timestamp":"2026-01-30T00:00:00Z","note":{"id":"n1"}}`)); status != "published" {
		t.Fatalf("an undocumented type: %d %s", code, status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		code, status := svc.Post(t, examples["job_added"])
		if status == "published" {
			break
		}
		if code != http.StatusOK || status != "duplicate" || time.Now().After(deadline) {
			t.Fatalf("job_added again: %d %s, want published once the window passed", code, status)
		}
		// Polled: the window is over once the answer says so.
		time.Sleep(50 * time.Millisecond)
	}

	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var out bytes.Buffer
	got := consumeUntil(t, nc, stream, prefix, len(names)+1, &out)

	wantType := map[string]string{
		"job_added": "*events.JobEvent", "job_activated": "*events.JobEvent",
		"job_deactivated": "*events.JobEvent", "job_deleted": "*events.JobEvent",
		"applicant_applied": "*events.ApplicantEvent", "cv_upload_completed": "*events.ApplicantEvent",
		"meeting_booked": "*events.MeetingEvent",
	}
	for i, name := range names {
		if got[i].event != name || got[i].goType != wantType[name] || len(got[i].id) != 32 {
			t.Errorf("event %d: %+v, want %s as %s with its ce-id", i, got[i], name, wantType[name])
		}
	}
	if last := got[len(names)]; last.event != "job_added" || last.id != got[slices.Index(names, "job_added")].id {
		t.Errorf("the re-sent copy was handled as %+v, want job_added with the first copy's ce-id", last)
	}
	wantOut := strings.Join([]string{
		"applicant_applied app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl",
		"cv_upload_completed app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl",
		"job_activated job_ab12cd34ef56gh78ij Product Designer",
		"job_added job_kl23mn45op67qr89st Backend Engineer",
		"job_deactivated job_ab12cd34ef56gh78ij Product Designer",
		"job_deleted job_wx01yz23ab45cd67ef Marketing Manager",
		"meeting_booked mtg_ab12cd34ef56gh78ij 30 min",
	}, "\n") + "\n"
	if out.String() != wantOut {
		t.Errorf("the consumer printed\n%s\nwant (each event once)\n%s", out.String(), wantOut)
	}

	// Everything was acknowledged: nothing pending, nothing awaiting an
	// ack; and the stopped consumer's pull is gone from the server.
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	waitAcked(t, js, stream)

	// The durable consumer resumes after what it acknowledged.
	if code, status := svc.Post(t, bytes.Replace(examples["job_deleted"], []byte("job_wx01yz23ab45cd67ef"), []byte("job_resumed"), 1)); status != "published" {
		t.Fatalf("another job_deleted: %d %s", code, status)
	}
	out.Reset()
	consumeUntil(t, nc, stream, prefix, 1, &out)
	if want := "job_deleted job_resumed Marketing Manager\n"; out.String() != want {
		t.Errorf("after a restart the consumer printed %q, want only the new event %q", out.String(), want)
	}
	waitAcked(t, js, stream)
}

// waitAcked waits until the durable consumer has nothing pending and
// nothing awaiting an ack, and no pull request of a stopped run is still
// waiting on the server: a run unsubscribes after it returns, and until the
// server has seen that, it would hand the next event to the stopped run,
// to be delivered again only after the ack wait, 30 s later.
func waitAcked(t *testing.T, js jetstream.JetStream, stream string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		cons, err := js.Consumer(t.Context(), stream, durable)
		if err != nil {
			t.Fatal(err)
		}
		info := cons.CachedInfo()
		if info.NumPending == 0 && info.NumAckPending == 0 && info.NumWaiting == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("consumer state %d pending, %d awaiting an ack, %d pulls waiting; want 0, 0 and 0", info.NumPending, info.NumAckPending, info.NumWaiting)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
