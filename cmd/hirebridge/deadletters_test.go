package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// listDeadLetters runs `deadletters list -json` with args and decodes its
// answer.
func listDeadLetters(t *testing.T, env map[string]string, args ...string) browse.DeadLetterList {
	t.Helper()
	return runJSON[browse.DeadLetterList](t, env, append([]string{"deadletters", "list", "-json"}, args...)...)
}

// idsOf are the ids of l's dead letters, newest first.
func idsOf(l browse.DeadLetterList) []string {
	var ids []string
	for _, dl := range l.DeadLetters {
		ids = append(ids, dl.ID)
	}
	return ids
}

// The dead letters of the tests below, by id.
var (
	dlFirstID  = events.DeadLetterID([]byte(unknownFirst))
	dlSecondID = events.DeadLetterID([]byte(unknownSecond))
	dlBadID    = events.DeadLetterID([]byte(badTimestamp))
)

// deadletters list and resolve on NATS, and replay honouring the marks.
func TestDeadLettersNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)
	postDeadLetters(t, svc)
	testDeadLetters(t, env)
}

// deadletters list and resolve on Kafka, events list and get there too,
// and replay honouring the marks: the same as on NATS.
func TestDeadLettersKafka(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	env := kafkaEnv(t, broker.Addr())
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)
	before := time.Now()
	time.Sleep(5 * time.Millisecond)
	postEvents(t, svc, "job_added", "meeting_booked")
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	postEvents(t, svc, "applicant_applied")
	testEvents(t, env, before)

	postRejected(t, svc, unknownFirst, "unknown_event_type")
	time.Sleep(5 * time.Millisecond)
	postRejected(t, svc, unknownSecond, "unknown_event_type")
	testDeadLetters(t, env)

	// Kept on a compacted topic of its own, which no consumer of
	// <prefix>.> reads: the mark, and the one that replaced it.
	recs := broker.Records(t, "_hirebridge.resolved.hirempire")
	if len(recs) != 2 {
		t.Errorf("the marks' topic holds %d records, want the two marks of %s", len(recs), dlFirstID)
	}
	for _, rec := range recs {
		if string(rec.Key) != dlFirstID {
			t.Errorf("a mark of %s, want only %s's", rec.Key, dlFirstID)
		}
	}
}

// postDeadLetters stores the dead letters testDeadLetters reads: a bad
// timestamp, then two events of an undocumented type.
func postDeadLetters(t *testing.T, svc *service) {
	t.Helper()
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	time.Sleep(5 * time.Millisecond)
	postRejected(t, svc, unknownFirst, "unknown_event_type")
	time.Sleep(5 * time.Millisecond)
	postRejected(t, svc, unknownSecond, "unknown_event_type")
}

// testDeadLetters lists the dead letters postDeadLetters stored, resolves
// one, lists them by status, and replays: the resolved one is skipped
// unless -include-resolved.
func testDeadLetters(t *testing.T, env map[string]string) {
	open := listDeadLetters(t, env)
	if got, want := idsOf(open), []string{dlSecondID, dlFirstID, dlBadID}; !slices.Equal(got, want) {
		t.Fatalf("deadletters list: %v, want %v (newest first)", got, want)
	}
	if want := []browse.ReasonCount{{Reason: "unknown_event_type", Count: 2}, {Reason: "invalid_timestamp", Count: 1}}; !slices.Equal(open.Reasons, want) {
		t.Errorf("reasons %v, want %v", open.Reasons, want)
	}
	bad := open.DeadLetters[2]
	if bad.Reason != "invalid_timestamp" || bad.Topic != "hirempire.dlq" || !strings.Contains(bad.Detail, "not an RFC 3339 date-time") || bad.Resolved != nil ||
		bad.HirebridgeSource != "default" || bad.StoredAt == "" || open.ScanLimit != 100000 || open.Truncated || open.Scanned != 3 {
		t.Errorf("deadletters list: %+v", open)
	}
	// -reason narrows the lines, not the counts.
	byReason := listDeadLetters(t, env, "-reason", "invalid_timestamp")
	if !slices.Equal(idsOf(byReason), []string{dlBadID}) || len(byReason.Reasons) != 2 {
		t.Errorf("deadletters list -reason invalid_timestamp: %+v", byReason)
	}
	if got := listDeadLetters(t, env, "-limit", "1"); !slices.Equal(idsOf(got), []string{dlSecondID}) || !got.More || open.More {
		t.Errorf("deadletters list -limit 1: %+v (more: %v without -limit)", got, open.More)
	}
	// One message read, and said. (Which one is the newest on NATS; on
	// Kafka, the newest of a partition, as its partitions are read side
	// by side.)
	if got := listDeadLetters(t, env, "-scan", "1"); len(got.DeadLetters) != 1 || got.Scanned != 1 || !got.Truncated {
		t.Errorf("deadletters list -scan 1: %+v", got)
	}

	out := mustRun(t, env, "deadletters", "resolve", dlFirstID, "-note", "sent again by hand")
	if !strings.HasPrefix(out, dlFirstID+" marked resolved at ") || !strings.Contains(out, " by cli") || !strings.Contains(out, ": sent again by hand; replay skips it") {
		t.Errorf("deadletters resolve printed %q", out)
	}
	if _, err := runCommand(t, env, "deadletters", "resolve", "dlq-nothing"); err == nil || !strings.Contains(err.Error(), "no dead letter with id dlq-nothing among the 3 dead letters") {
		t.Errorf("deadletters resolve of an id not there: %v", err)
	}

	if got := idsOf(listDeadLetters(t, env)); !slices.Equal(got, []string{dlSecondID, dlBadID}) {
		t.Errorf("the open dead letters after resolving one: %v", got)
	}
	resolved := listDeadLetters(t, env, "-status", "resolved")
	if !slices.Equal(idsOf(resolved), []string{dlFirstID}) || !slices.Equal(resolved.Reasons, []browse.ReasonCount{{Reason: "unknown_event_type", Count: 1}}) {
		t.Fatalf("the resolved dead letters: %+v", resolved)
	}
	mark := resolved.DeadLetters[0].Resolved
	if mark == nil || !strings.HasPrefix(mark.By, "cli") || mark.Note != "sent again by hand" || time.Since(mark.At) > time.Minute {
		t.Errorf("the mark: %+v", mark)
	}
	if got := getEvent(t, env, dlFirstID, "-json"); got.Resolved == nil || got.Resolved.Note != "sent again by hand" || !got.DeadLetter {
		t.Errorf("events get of the resolved dead letter: %+v", got)
	}
	if got := mustRun(t, env, "events", "get", dlFirstID); !strings.Contains(got, "\nmarked resolved at ") {
		t.Errorf("events get of the resolved dead letter does not say it is resolved:\n%s", got)
	}
	if got := getEvent(t, env, dlSecondID, "-json"); got.Resolved != nil {
		t.Errorf("events get of an open dead letter: %+v", got)
	}
	if got := idsOf(listDeadLetters(t, env, "-status", "all")); !slices.Equal(got, []string{dlSecondID, dlFirstID, dlBadID}) {
		t.Errorf("every dead letter: %v", got)
	}
	text := mustRun(t, env, "deadletters", "list", "-status", "all")
	for _, want := range []string{
		"hirempire.dlq: 3 dead letters among the 3 messages searched, by reason:",
		"unknown_event_type  2", "STORED", dlFirstID, "[resolved at ", "by cli", ": sent again by hand]", "not an RFC 3339 date-time",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("deadletters list -status all lacks %q:\n%s", want, text)
		}
	}

	// replay skips the resolved one, and says so; -include-resolved not.
	lax := withEnv(env, "HIREBRIDGE_STRICT", "false")
	wantOutcomes(t, "dry run", runReplay(t, lax, "-dry-run"), 3, map[string]int{"would_publish": 1, "resolved": 1, "rejected": 1})
	wantOutcomes(t, "dry run, resolved included", runReplay(t, lax, "-dry-run", "-include-resolved"), 3, map[string]int{"would_publish": 2, "rejected": 1})
	sum := runReplay(t, lax)
	wantOutcomes(t, "replay", sum, 3, map[string]int{"published": 1, "resolved": 1, "rejected": 1})
	for _, dl := range sum.DeadLetters {
		if (dl.ID == dlFirstID) != (dl.Outcome == "resolved") || (dl.Outcome == "resolved" && (dl.Resolved == nil || dl.Resolved.Note != "sent again by hand")) {
			t.Errorf("replayed %+v", dl)
		}
	}
	wantOutcomes(t, "replay, resolved included", runReplay(t, lax, "-include-resolved"), 3, map[string]int{"published": 1, "already_published": 1, "rejected": 1})

	// Resolved again: the mark replaced.
	var again struct {
		ID       string
		Resolved struct {
			At   time.Time `json:"resolved_at"`
			By   string    `json:"resolved_by"`
			Note string
		}
	}
	if err := json.Unmarshal([]byte(mustRun(t, env, "deadletters", "resolve", "-json", dlFirstID)), &again); err != nil {
		t.Fatal(err)
	}
	if again.ID != dlFirstID || again.Resolved.Note != "" || !strings.HasPrefix(again.Resolved.By, "cli") {
		t.Errorf("deadletters resolve -json: %+v", again)
	}
	if mark := listDeadLetters(t, env, "-status", "resolved").DeadLetters[0].Resolved; mark == nil || mark.Note != "" {
		t.Errorf("the mark after resolving again: %+v", mark)
	}
}

// With the embedded default, the commands work while the service runs
// (through its server) and while it is stopped (on its data directory,
// released after), and the mark set while it ran is kept for replay.
func TestDeadLettersEmbedded(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)
	postDeadLetters(t, svc)
	mustRun(t, env, "deadletters", "resolve", dlBadID, "-note", "a sender's bug")
	if got := idsOf(listDeadLetters(t, env)); !slices.Equal(got, []string{dlSecondID, dlFirstID}) {
		t.Errorf("while running, the open dead letters: %v", got)
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}

	resolved := listDeadLetters(t, env, "-status", "resolved")
	if !slices.Equal(idsOf(resolved), []string{dlBadID}) || resolved.DeadLetters[0].Resolved.Note != "a sender's bug" {
		t.Errorf("while stopped, the resolved dead letters: %+v", resolved)
	}
	lax := withEnv(env, "HIREBRIDGE_STRICT", "false")
	wantOutcomes(t, "while stopped", runReplay(t, lax, "-dry-run"), 3, map[string]int{"would_publish": 2, "resolved": 1})
	lock, err := datadir.Take(dataDir, "HIREBRIDGE_DATA_DIR", "data directory")
	if err != nil {
		t.Fatalf("the commands left the data directory locked: %v", err)
	}
	if err := lock.Unlock(); err != nil {
		t.Fatal(err)
	}
}
