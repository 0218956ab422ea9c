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

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// handled is what the consumer gave the handler: the event's type, the Go
// type it was decoded into, and its ce_id.
type handled struct{ event, goType, id string }

// consumeUntil consumes until want events were handled, then stops the
// reader.
func consumeUntil(t *testing.T, brokers []string, want int, out *bytes.Buffer) []handled {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	print := printer(out)
	var got []handled
	err := consume(ctx, brokers, "hirempire", "example-kafka", func(ctx context.Context, id string, ev any) error {
		got = append(got, handled{reflect.ValueOf(ev).Elem().FieldByName("Event").String(), fmt.Sprintf("%T", ev), id})
		if len(got) == want {
			cancel()
		}
		return print(ctx, id, ev)
	})
	if len(got) < want {
		t.Fatalf("the reader handled %d events, want %d: %+v (consume: %v)", len(got), want, got, err)
	}
	if err != context.Canceled {
		t.Errorf("consume returned %v, want context.Canceled once stopped", err)
	}
	return got
}

// answerEmptyFetchesSoon has the broker answer a fetch that finds nothing
// new after 100 ms rather than the 10 s kafka-go's reader asks it to wait
// (its MaxWait): closing the reader waits for the fetches in flight, so
// each run would end 10 s after its last record. The reader under test is
// the README's as it is; what it reads is the same.
func answerEmptyFetchesSoon(broker *kafkatest.Cluster) {
	broker.Kfake().ControlKey(int16(kmsg.Fetch), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if f, ok := req.(*kmsg.FetchRequest); ok && f.MaxWaitMillis > 100 {
			f.MaxWaitMillis = 100
		}
		// Not handled: the broker serves the fetch as changed.
		return nil, nil, false
	})
}

// The README's Kafka reader against the service on a real Kafka broker
// (kfake): every documented example comes out as its Go type, once, the
// dead letters and undocumented types are not read, a re-send stored again
// after the bridge's window is handled once, and the group resumes after
// what it committed.
func TestConsumeKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the README's Kafka reader run end to end against the built service and a Kafka broker")
	}
	broker := kafkatest.Start(t)
	answerEmptyFetchesSoon(broker)
	brokers := []string{broker.Addr()}
	svc := servicetest.Start(t, map[string]string{
		"HIREBRIDGE_SINK":          "kafka",
		"HIREBRIDGE_KAFKA_BROKERS": broker.Addr(),
		// Short, so the test can re-send an event after it: the bridge then
		// stores a second record, with the same ce_id.
		"HIREBRIDGE_KAFKA_DEDUP_WINDOW_AGE": "200ms",
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
	if n := len(broker.Records(t, "hirempire.job_added")); n != 2 {
		t.Fatalf("%d records of job_added, want the event and its re-sent copy", n)
	}

	var out bytes.Buffer
	got := consumeUntil(t, brokers, len(names)+1, &out)

	// Topics are read in no set order across them: compare as sets.
	wantType := map[string]string{
		"job_added": "*events.JobEvent", "job_activated": "*events.JobEvent",
		"job_deactivated": "*events.JobEvent", "job_deleted": "*events.JobEvent",
		"applicant_applied": "*events.ApplicantEvent", "cv_upload_completed": "*events.ApplicantEvent",
		"meeting_booked": "*events.MeetingEvent",
	}
	ids := map[string][]string{}
	for _, h := range got {
		if wantType[h.event] != h.goType || len(h.id) != 32 {
			t.Errorf("handled %+v, want %s with its ce_id", h, wantType[h.event])
		}
		ids[h.event] = append(ids[h.event], h.id)
	}
	for _, name := range names {
		want := 1
		if name == "job_added" {
			want = 2
		}
		if len(ids[name]) != want || ids[name][0] != ids[name][len(ids[name])-1] {
			t.Errorf("%s handled with ce_ids %v, want %d of one id", name, ids[name], want)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	slices.Sort(lines)
	wantOut := []string{
		"applicant_applied app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl",
		"cv_upload_completed app_xyz789wvu654tsr321 John Doe for abc123def456ghi789jkl",
		"job_activated job_ab12cd34ef56gh78ij Product Designer",
		"job_added job_kl23mn45op67qr89st Backend Engineer",
		"job_deactivated job_ab12cd34ef56gh78ij Product Designer",
		"job_deleted job_wx01yz23ab45cd67ef Marketing Manager",
		"meeting_booked mtg_ab12cd34ef56gh78ij 30 min",
	}
	if !slices.Equal(lines, wantOut) {
		t.Errorf("the reader printed\n%s\nwant (each event once)\n%s", out.String(), strings.Join(wantOut, "\n"))
	}

	// The group resumes after what it committed.
	if code, status := svc.Post(t, bytes.Replace(examples["job_deleted"], []byte("job_wx01yz23ab45cd67ef"), []byte("job_resumed"), 1)); status != "published" {
		t.Fatalf("another job_deleted: %d %s", code, status)
	}
	out.Reset()
	consumeUntil(t, brokers, 1, &out)
	if want := "job_deleted job_resumed Marketing Manager\n"; out.String() != want {
		t.Errorf("after a restart the reader printed %q, want only the new event %q", out.String(), want)
	}

	// The command, in a group of its own (CONSUMER_NAME), reads the topics
	// from their start and says what it reads.
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	stdout := &lineWriter{stop: cancel}
	var stderr bytes.Buffer
	err := run(ctx, env{"HIREBRIDGE_KAFKA_BROKERS": broker.Addr(), "CONSUMER_NAME": "another"}.get, stdout, &stderr)
	// It may print another before it sees ctx end.
	if first, _, _ := strings.Cut(stdout.String(), "\n"); err != nil || !slices.Contains(append(wantOut, "job_deleted job_resumed Marketing Manager"), first) {
		t.Errorf("run = %v, printing %q, want nil and the events", err, stdout.String())
	}
	wantErr := "consume-kafka: reading hirempire.<event> on " + broker.Addr() + " (HIREBRIDGE_KAFKA_BROKERS) in group another; Ctrl-C stops\n"
	if stderr.String() != wantErr {
		t.Errorf("run said %q, want %q", stderr.String(), wantErr)
	}
}

// lineWriter stops the run once it has printed a line.
type lineWriter struct {
	bytes.Buffer
	stop context.CancelFunc
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if bytes.ContainsRune(w.Bytes(), '\n') {
		w.stop()
	}
	return n, err
}
