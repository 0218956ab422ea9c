package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// refusingConf is a NATS server whose user bridge may not publish events
// of the type forbidden_event (a subject its operator did not grant),
// while admin may do anything. deny empty grants everything.
func refusingConf(deny string) string {
	denied := "[]"
	if deny != "" {
		denied = fmt.Sprintf("[%q]", deny)
	}
	return `
accounts {
  APP {
    jetstream: enabled
    users: [
      {user: bridge, password: bridge-pw, permissions: {publish: {allow: ["hirempire.>", "$JS.API.>", "_INBOX.>"], deny: ` + denied + `}}}
      {user: admin, password: admin-pw}
    ]
  }
}
`
}

// maxMsgSize is the stream's limit in these tests: the documented
// examples fit, an event padded past it does not.
const maxMsgSize = 4096

// refusingBroker starts that server with the stream created by its
// operator beforehand, holding messages of at most maxMsgSize bytes; it
// returns the server and the URL an operator's client uses.
func refusingBroker(t *testing.T) (*natstest.Server, string) {
	t.Helper()
	srv := natstest.StartConf(t, refusingConf("hirempire.forbidden_event"))
	admin := strings.Replace(srv.URL(), "nats://", "nats://admin:admin-pw@", 1)
	nc, err := nats.Connect(admin)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{
		Name: "HIREMPIRE", Subjects: []string{"hirempire.>"}, Storage: jetstream.FileStorage,
		MaxMsgSize: maxMsgSize, Duplicates: time.Minute,
	}); err != nil {
		t.Fatal(err)
	}
	return srv, admin
}

// refusingEnv is a service publishing as bridge, strict mode off so an
// undocumented type is an event like any other.
func refusingEnv(t *testing.T, srv *natstest.Server) map[string]string {
	env := baseEnv(t, srv.URL())
	env["HIREBRIDGE_NATS_USER"] = "bridge"
	env["HIREBRIDGE_NATS_PASSWORD"] = "bridge-pw"
	env["HIREBRIDGE_STRICT"] = "false"
	return env
}

// forbiddenEvent is an event of the type the broker refuses, n-th of a
// series so each is distinct.
func forbiddenEvent(n int) []byte {
	return []byte(fmt.Sprintf(`{"event":"forbidden_event","timestamp":"2026-01-30T00:14:56Z","candidate":{"id":"cand-%d"}}`, n))
}

// oversized is the n-th job_added event padded past the stream's limit.
func oversized(t *testing.T, n int) []byte {
	t.Helper()
	doc := decodeObject(t, example(t, "job_added.json"))
	doc["job"].(map[string]any)["id"] = fmt.Sprintf("job-big-%d", n)
	doc["padding"] = strings.Repeat("x", 2*maxMsgSize)
	b, _ := json.Marshal(doc)
	return b
}

// A broker that refuses one event for good, on the webhook path: the
// refused type is kept on the dead letters and answered 202
// dead_lettered, an event over the stream's limit gets 413 at once (not
// 503 for ever), and everything else is published in order around them.
// Once the operator grants the subject, replay publishes the kept event
// whole, as it was accepted. Not parallel: it measures how long the
// refusals take.
func TestRefusalsOnTheWebhook(t *testing.T) {
	srv, admin := refusingBroker(t)
	env := refusingEnv(t, srv)
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "10s"
	svc := startService(t, env)
	jobs := newKeyedEvents(t)

	var published []string
	var deadLettered string
	for i := range 6 {
		r := mustPost(t, svc.webhookURL(), jobs.make("job-1", i))
		if r.Status != http.StatusOK || r.Body.Status != "published" {
			t.Fatalf("job event %d: %d %s", i, r.Status, r.Raw)
		}
		published = append(published, r.Body.ID)
		switch i {
		case 1:
			start := time.Now()
			r := mustPost(t, svc.webhookURL(), forbiddenEvent(1))
			if r.Status != http.StatusAccepted || r.Body.Status != "dead_lettered" || r.Body.ID == "" {
				t.Fatalf("a refused event: %d %s, want 202 dead_lettered", r.Status, r.Raw)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the refusal took %v; the publish timeout is 10s", took)
			}
			deadLettered = r.Body.ID
		case 3:
			start := time.Now()
			r := mustPost(t, svc.webhookURL(), oversized(t, 1))
			if r.Status != http.StatusRequestEntityTooLarge || r.Body.Error != "body_too_large" {
				t.Fatalf("an event over the stream's max_msg_size: %d %s, want 413", r.Status, r.Raw)
			}
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("the 413 took %v", took)
			}
		}
	}
	if status, body := get(svc.admin + "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the refusals: %d %s, want 200: the broker takes the other events", status, body)
	}
	// The sender re-sends the refused event: kept once, answered the same.
	if r := mustPost(t, svc.webhookURL(), forbiddenEvent(1)); r.Status != http.StatusAccepted || r.Body.ID != deadLettered {
		t.Errorf("the refused event again: %d %s", r.Status, r.Raw)
	}

	msgs := readStream(t, admin, "HIREMPIRE")
	var jobIDs []string
	var dead []storedMsg
	for _, m := range msgs {
		switch m.Subject {
		case "hirempire.job_added":
			jobIDs = append(jobIDs, m.Header.Get("ce-id"))
		case "hirempire.dlq":
			dead = append(dead, m)
		default:
			t.Errorf("a message on %s", m.Subject)
		}
	}
	if strings.Join(jobIDs, ",") != strings.Join(published, ",") {
		t.Errorf("job events in the stream %v, want the published ones in order %v", jobIDs, published)
	}
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want the refused event once", len(dead))
	}
	dl := dead[0]
	for k, want := range map[string]string{
		"hirebridge-reason":                        "undeliverable",
		"hirebridge-original-topic":                "hirempire.forbidden_event",
		"hirebridge-original-id":                   deadLettered,
		"hirebridge-original-ce-type":              "com.hirempire.forbidden_event",
		"hirebridge-original-hirebridge-validated": "false",
	} {
		if got := dl.Header.Get(k); got != want {
			t.Errorf("dead letter header %s = %q, want %q", k, got, want)
		}
	}
	if d := dl.Header.Get("hirebridge-detail"); !strings.Contains(d, "Permissions Violation") {
		t.Errorf("the dead letter's detail %q does not give the broker's words", d)
	}
	_, metrics := get(svc.admin + "/metrics")
	for _, want := range []string{
		`hirebridge_events_total{outcome="dead_lettered",source="default",type="other"} 2`,
		`hirebridge_dead_letters_total{reason="undeliverable",source="default",stored="true"} 2`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// Before the fix, replay leaves it, saying why, and exits 0.
	wantOutcomes(t, "replay before the fix", runReplay(t, env, "-reason", "undeliverable"), 1, map[string]int{"refused": 1})
	// The operator grants the subject: replay publishes the event whole.
	srv.Rewrite(t, refusingConf(""))
	sum := runReplay(t, env, "-reason", "undeliverable")
	wantOutcomes(t, "replay", sum, 1, map[string]int{"published": 1})
	var replayed []storedMsg
	for _, m := range readStream(t, admin, "HIREMPIRE") {
		if m.Subject == "hirempire.forbidden_event" {
			replayed = append(replayed, m)
		}
	}
	if len(replayed) != 1 || replayed[0].Header.Get("ce-id") != deadLettered ||
		replayed[0].Header.Get("hirebridge-validated") != "false" || !bytes.Contains(replayed[0].Data, []byte(`"cand-1"`)) {
		t.Errorf("replayed: %+v", replayed)
	}
}

// The same broker with the spool on: it stops while events of every kind
// are posted, all answered 202 spooled; back, it refuses some for good.
// The spool drains within 30 s, the refused type moved to the dead
// letters, the oversized events (whose dead letters are as large) to the
// quarantine, the others forwarded in order: nothing answered 2xx is lost,
// and nothing blocks the events behind a refused one.
func TestRefusalsThroughTheSpool(t *testing.T) {
	t.Parallel()
	srv, admin := refusingBroker(t)
	env := refusingEnv(t, srv)
	for k, v := range spoolEnv(t, srv.URL()) {
		if strings.HasPrefix(k, "HIREBRIDGE_SPOOL") || k == "HIREBRIDGE_PUBLISH_TIMEOUT" {
			env[k] = v
		}
	}
	svc := startService(t, env)
	jobs := newKeyedEvents(t)
	srv.Stop()

	var jobIDs []string
	sent, forbidden, big := 0, 0, 0
	for i := range 30 {
		var body []byte
		switch {
		case i%10 == 4:
			forbidden++
			body = forbiddenEvent(i)
		case i%10 == 7:
			big++
			body = oversized(t, i)
		default:
			body = jobs.make("job-1", i)
		}
		r := mustPost(t, svc.webhookURL(), body)
		if r.Status != http.StatusAccepted || r.Body.Status != "spooled" {
			t.Fatalf("event %d with the broker away: %d %s, want 202 spooled", i, r.Status, r.Raw)
		}
		sent++
		if i%10 != 4 && i%10 != 7 {
			jobIDs = append(jobIDs, r.Body.ID)
		}
	}
	srv.Restart(t)
	start := time.Now()
	waitFor(t, 30*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})
	drained := time.Since(start)

	var stored []string
	dead := 0
	for _, m := range readStream(t, admin, "HIREMPIRE") {
		switch m.Subject {
		case "hirempire.job_added":
			stored = append(stored, m.Header.Get("ce-id"))
		case "hirempire.dlq":
			if m.Header.Get("hirebridge-reason") == "undeliverable" && m.Header.Get("hirebridge-original-topic") == "hirempire.forbidden_event" {
				dead++
			}
		}
	}
	if strings.Join(stored, ",") != strings.Join(jobIDs, ",") {
		t.Errorf("job events in the stream %v, want the %d spooled in order", stored, len(jobIDs))
	}
	if dead != forbidden {
		t.Errorf("%d refused events on the dead letters, want %d", dead, forbidden)
	}
	if n := metricValue(t, svc.admin, "hirebridge_spool_dead_lettered_total"); n != float64(forbidden) {
		t.Errorf("hirebridge_spool_dead_lettered_total %v, want %d", n, forbidden)
	}
	quarantined := int(metricValue(t, svc.admin, "hirebridge_spool_quarantine_events"))
	if quarantined != big {
		t.Errorf("%d records in the quarantine, want the %d oversized", quarantined, big)
	}
	if status, body := get(svc.admin + "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the drain: %d %s", status, body)
	}
	t.Logf("spool with refusals: %d sent, %d answered 202, %d forwarded, %d dead-lettered, %d quarantined, %d lost; drained in %v",
		sent, sent, len(stored), dead, quarantined, sent-len(stored)-dead-quarantined, drained.Round(time.Millisecond))

	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	var list bytes.Buffer
	if err := run(context.Background(), []string{"spool", "list"}, environ(env), &list); err != nil {
		t.Fatalf("spool list: %v", err)
	}
	if !strings.Contains(list.String(), "waiting: 0 events") || strings.Count(list.String(), "  refused  ") != big ||
		!strings.Contains(list.String(), fmt.Sprintf("%d records", big)) {
		t.Errorf("spool list does not show the %d quarantined events:\n%s", big, list.String())
	}
	var export bytes.Buffer
	if err := run(context.Background(), []string{"spool", "export"}, environ(env), &export); err != nil {
		t.Fatalf("spool export: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(export.String()), "\n")
	if len(lines) != big {
		t.Fatalf("spool export wrote %d lines, want %d:\n%s", len(lines), big, export.String())
	}
	for _, l := range lines {
		var x struct {
			Reason, Topic, ID string
			Body              json.RawMessage
		}
		if err := json.Unmarshal([]byte(l), &x); err != nil || x.Reason != "refused" || x.Topic != "hirempire.job_added" ||
			!bytes.Contains(x.Body, []byte(`"padding"`)) || x.ID == "" {
			t.Errorf("exported %s (%v)", l, err)
		}
	}
}
