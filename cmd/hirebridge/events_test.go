package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// runCommand runs hirebridge with args in process and returns what it
// printed on standard output.
func runCommand(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	err := run(ctx, args, environ(env), &out)
	return out.String(), err
}

// mustRun is runCommand failing the test on an error.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	out, err := runCommand(t, env, args...)
	if err != nil {
		t.Fatalf("hirebridge %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// listEvents runs `events list -json` with args and decodes its answer.
func listEvents(t *testing.T, env map[string]string, args ...string) browse.EventList {
	t.Helper()
	return runJSON[browse.EventList](t, env, append([]string{"events", "list", "-json"}, args...)...)
}

// runJSON runs a command printing one JSON object, and decodes it.
func runJSON[T any](t *testing.T, env map[string]string, args ...string) T {
	t.Helper()
	out := mustRun(t, env, args...)
	var v T
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("%s printed %q: %v", strings.Join(args[:min(2, len(args))], " "), out, err)
	}
	return v
}

// eventsOf are the types of l's events, newest first.
func eventsOf(l browse.EventList) []string {
	var types []string
	for _, e := range l.Events {
		types = append(types, e.Type)
	}
	return types
}

// gotEvent is what events get -json prints, the body as it is.
type gotEvent struct {
	browse.Event
	Body json.RawMessage `json:"body"`
}

// getEvent runs `events get` with args and decodes its answer.
func getEvent(t *testing.T, env map[string]string, args ...string) gotEvent {
	t.Helper()
	out := mustRun(t, env, append([]string{"events", "get"}, args...)...)
	var one gotEvent
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatalf("events get printed %q: %v", out, err)
	}
	var body bytes.Buffer
	if err := json.Compact(&body, one.Body); err != nil {
		t.Fatal(err)
	}
	one.Body = body.Bytes()
	return one
}

// postEvents posts the documented examples of names, in order, each
// stored after the one before even in Kafka's milliseconds.
func postEvents(t *testing.T, svc *service, names ...string) {
	t.Helper()
	for _, name := range names {
		if r := mustPost(t, svc.webhookURL(), example(t, name+".json")); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// events list and get on NATS: newest first, without the dead letters,
// each filter, the scan bound said, one event whole, and an id not there.
func TestEventsNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	svc := startService(t, env)
	before := time.Now()
	time.Sleep(5 * time.Millisecond)
	postEvents(t, svc, "job_added", "meeting_booked")
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	postEvents(t, svc, "applicant_applied")
	testEvents(t, env, before)
}

// testEvents checks events list and get on a broker holding job_added,
// meeting_booked, a dead letter of badTimestamp and applicant_applied,
// stored in that order after before.
func testEvents(t *testing.T, env map[string]string, before time.Time) {
	all := listEvents(t, env)
	if got, want := eventsOf(all), []string{"applicant_applied", "meeting_booked", "job_added"}; !slices.Equal(got, want) {
		t.Fatalf("events list: %v, want %v (newest first, no dead letter)", got, want)
	}
	if all.Scanned < 4 || all.ScanLimit != 100000 || all.Truncated || all.More {
		t.Errorf("events list: scanned %d, scan limit %d, truncated %v", all.Scanned, all.ScanLimit, all.Truncated)
	}
	job := all.Events[2]
	if job.ID == "" || job.Subject == "" || job.Source != "https://app.hirempire.com" || job.HirebridgeSource != "default" ||
		job.Topic != "hirempire.job_added" || job.Time != "2026-01-30T02:05:17.892Z" {
		t.Errorf("the job_added event listed: %+v", job)
	}
	stored, err := time.Parse(time.RFC3339Nano, job.StoredAt)
	if err != nil || stored.Before(before.Add(-time.Second)) || stored.After(time.Now()) {
		t.Errorf("stored_at %q: %v", job.StoredAt, err)
	}

	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"-type", "job_added"}, []string{"job_added"}},
		{[]string{"-type", "com.hirempire.meeting_booked"}, []string{"meeting_booked"}},
		{[]string{"-type", "job_deleted"}, nil},
		{[]string{"-subject", job.Subject}, []string{"job_added"}},
		{[]string{"-id", job.ID}, []string{"job_added"}},
		{[]string{"-limit", "2"}, []string{"applicant_applied", "meeting_booked"}},
		{[]string{"-since", before.Format(time.RFC3339Nano)}, []string{"applicant_applied", "meeting_booked", "job_added"}},
		{[]string{"-since", "1h", "-until", all.Events[0].StoredAt}, []string{"meeting_booked", "job_added"}},
		{[]string{"-until", before.Format(time.RFC3339Nano)}, nil},
	} {
		if got := eventsOf(listEvents(t, env, c.args...)); !slices.Equal(got, c.want) {
			t.Errorf("events list %v: %v, want %v", c.args, got, c.want)
		}
	}

	if !listEvents(t, env, "-limit", "2").More {
		t.Error("events list -limit 2 of 3 does not say there may be more")
	}

	// Bounded: the newest two messages read, and said.
	cut := listEvents(t, env, "-scan", "2")
	if !cut.Truncated || cut.Scanned != 2 || cut.ScanLimit != 2 || !slices.Equal(eventsOf(cut), []string{"applicant_applied"}) {
		t.Errorf("events list -scan 2: %+v, want the newest event, 2 scanned, truncated", cut)
	}

	text := mustRun(t, env, "events", "list")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "STORED") {
		t.Fatalf("events list printed %d lines, want a heading and 3:\n%s", len(lines), text)
	}
	for _, want := range []string{"job_added", job.ID, job.Subject, "default", stored.UTC().Format("2006-01-02T15:04:05.000Z")} {
		if !strings.Contains(lines[3], want) {
			t.Errorf("the line %q lacks %q", lines[3], want)
		}
	}
	if strings.Contains(text, "Backend Engineer") {
		t.Errorf("events list printed a body:\n%s", text)
	}

	// One event whole, as text and as JSON, the flags after the id too.
	got := mustRun(t, env, "events", "get", job.ID)
	for _, want := range []string{"event " + job.ID + " on hirempire.job_added, stored ", "ce-type: com.hirempire.job_added", "ce-id: " + job.ID, "\n\n{", "Backend Engineer"} {
		if !strings.Contains(got, want) {
			t.Errorf("events get lacks %q:\n%s", want, got)
		}
	}
	one := getEvent(t, env, job.ID, "-json")
	if one.ID != job.ID || one.DeadLetter || one.Headers["ce-subject"] != job.Subject || !strings.Contains(string(one.Body), `"title":"Backend Engineer"`) {
		t.Errorf("events get -json: %+v", one)
	}

	// A dead letter, by its id.
	dlID := events.DeadLetterID([]byte(badTimestamp))
	one = getEvent(t, env, "-json", dlID)
	if one.ID != dlID || !one.DeadLetter || one.Topic != "hirempire.dlq" || one.Headers["hirebridge-reason"] != "invalid_timestamp" || string(one.Body) != badTimestamp {
		t.Errorf("events get of the dead letter: %+v, body %s", one, one.Body)
	}

	// Not there: how many were searched.
	_, err = runCommand(t, env, "events", "get", "no-such-id")
	if err == nil || !strings.Contains(err.Error(), "no event or dead letter with id no-such-id among the ") || !strings.Contains(err.Error(), "messages") {
		t.Errorf("events get of an id not there: %v", err)
	}
	_, err = runCommand(t, env, "events", "get", "-scan", "1", job.ID)
	if err == nil || !strings.Contains(err.Error(), "among the newest 1 messages") || !strings.Contains(err.Error(), "-scan to read more") {
		t.Errorf("events get beyond the scan bound: %v", err)
	}
}

// The commands as a person meets them, through the built binary: the
// usages, the usage errors (exit 2, one line), and the scan bound said on
// standard error.
func TestCLIEventsAndDeadLetters(t *testing.T) {
	slow(t, "the built binary's events and deadletters commands")
	t.Parallel()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"events", "-h"}, []string{"hirebridge events list [-type TYPE]", "hirebridge events get ID", "Examples:"}},
		{[]string{"events", "list", "-h"}, []string{"Usage: hirebridge events list", "-type TYPE", "-subject SUBJECT", "-id ID", "-since WHEN", "-until WHEN", "-limit N", "-scan N", "-json", "Examples:"}},
		{[]string{"events", "get", "-h"}, []string{"Usage: hirebridge events get ID", "-json", "Examples:"}},
		{[]string{"deadletters", "-h"}, []string{"hirebridge deadletters list", "hirebridge deadletters resolve ID [-note TEXT]", "Examples:"}},
		{[]string{"deadletters", "list", "-h"}, append([]string{"Usage: hirebridge deadletters list", "-status STATUS", "-reason CODE", "Examples:"}, events.DeadLetterReasons()...)},
		{[]string{"deadletters", "resolve", "-h"}, []string{"Usage: hirebridge deadletters resolve ID", "-note TEXT", "Examples:"}},
		{[]string{"help", "deadletters"}, []string{"hirebridge deadletters list"}},
		{[]string{"replay", "-h"}, []string{"-include-resolved", "marked resolved"}},
		{[]string{"-h"}, []string{"hirebridge events list", "hirebridge deadletters resolve ID", "-include-resolved"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, quietEnv(t), c.args...)
			if r.status != 0 || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", r.status, r.stderr)
			}
			for _, want := range c.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the usage lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
	for _, c := range []struct {
		args []string
		line []string
	}{
		{[]string{"events", "bogus"}, []string{`hirebridge events: unknown events command "bogus"`, "try: hirebridge events -h"}},
		{[]string{"events", "list", "extra"}, []string{"hirebridge events list: ", `"extra"`}},
		{[]string{"events", "list", "-since", "yesterday"}, []string{"hirebridge events list: -since ", "yesterday"}},
		{[]string{"events", "list", "-until", "-2h"}, []string{"hirebridge events list: -until "}},
		{[]string{"events", "list", "-limit", "-1"}, []string{"hirebridge events list: -limit -1"}},
		{[]string{"events", "get"}, []string{"hirebridge events get: takes one ID", "try: hirebridge events get -h"}},
		{[]string{"events", "get", "a", "b"}, []string{"hirebridge events get: takes one ID, got 2"}},
		{[]string{"deadletters", "list", "-status", "closed"}, []string{"hirebridge deadletters list: -status \"closed\": one of open, resolved, all"}},
		{[]string{"deadletters", "list", "-reason", "bogus"}, []string{"hirebridge deadletters list: -reason bogus: not a dead-letter reason"}},
		{[]string{"deadletters", "resolve"}, []string{"hirebridge deadletters resolve: takes one ID"}},
		{[]string{"deadletters", "resolve", "dlq-1", "-bogus"}, []string{"hirebridge deadletters resolve: ", "-bogus"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, quietEnv(t), c.args...)
			if r.status != exitUsage || r.stdout != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing", r.status, r.stdout, exitUsage)
			}
			line := onePlainLine(t, r.stderr)
			for _, want := range c.line {
				if !strings.Contains(line, want) {
					t.Errorf("the error %q does not say %q", line, want)
				}
			}
		})
	}

	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	svc := startService(t, env)
	postEvents(t, svc, "job_added", "meeting_booked", "job_deleted")

	r := runBinary(t, env, "events", "list", "-scan", "2")
	if r.status != 0 || strings.Count(r.stdout, "\n") != 3 ||
		r.stderr != "searched the newest 2 messages; older ones were not read: -scan to read more\n" {
		t.Errorf("events list -scan 2: exit %d, stdout:\n%s\nstderr:\n%s", r.status, r.stdout, r.stderr)
	}
	r = runBinary(t, env, "events", "get", "no-such-id")
	if line := onePlainLine(t, r.stderr); r.status != exitFailed || r.stdout != "" ||
		!strings.HasPrefix(line, "hirebridge events get: no event or dead letter with id no-such-id among the 3 messages") {
		t.Errorf("events get of an id not there: exit %d, stdout %q, stderr %q", r.status, r.stdout, r.stderr)
	}
	r = runBinary(t, env, "deadletters", "resolve", "dlq-nothing")
	if line := onePlainLine(t, r.stderr); r.status != exitFailed ||
		!strings.HasPrefix(line, "hirebridge deadletters resolve: no dead letter with id dlq-nothing among the 0 dead letters") {
		t.Errorf("deadletters resolve of an id not there: exit %d, stderr %q", r.status, r.stderr)
	}
}
