//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The credentials of the refusing Kafka broker: admin is its superuser (the
// operator), bridge the service's principal, allowed what refusingKafka
// grants it.
const (
	kafkaAdmin, kafkaAdminPass   = "admin", "admin-Pa55"
	kafkaBridge, kafkaBridgePass = "bridge", "bridge-Pa55"

	forbiddenTopic = "hirempire.forbidden_event"
	jobTopic       = "hirempire.job_added"
	dlqTopic       = "hirempire.dlq"
)

func kafkaAdminOpts() []kgo.Opt {
	return []kgo.Opt{kgo.SASL(plain.Auth{User: kafkaAdmin, Pass: kafkaAdminPass}.AsMechanism())}
}

// kafkaAdminClient is an operator's admin client on the broker at addr.
func kafkaAdminClient(t *testing.T, addr string) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(addr)}, kafkaAdminOpts()...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// forbiddenACLs are the denials of the refused type's topic: bridge may
// neither write it nor create it.
func forbiddenACLs() *kadm.ACLBuilder {
	return kadm.NewACLs().Topics(forbiddenTopic).ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:"+kafkaBridge).DenyHosts("*").Operations(kadm.OpWrite, kadm.OpCreate)
}

// refusingKafka sets up, as the operator (admin) of the broker at addr,
// what the Kafka refusal tests need:
//
//   - bridge may do anything on the topics hirempire.*, and anything on the
//     cluster but CREATE (a cluster-wide CREATE would let it create any
//     topic whatever the topic's ACLs say: Kafka's rule, which kfake
//     follows), except write or create hirempire.forbidden_event;
//   - hirempire.job_added and hirempire.dlq exist with max.message.bytes
//     maxMsgSize: the documented example fits, an event padded past it
//     (oversized) does not, nor its dead letter;
//   - the topics named in existing exist too, without limits.
func refusingKafka(t *testing.T, addr string, existing ...string) *kadm.Client {
	t.Helper()
	adm := kafkaAdminClient(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	bridge := "User:" + kafkaBridge
	for _, b := range []*kadm.ACLBuilder{
		kadm.NewACLs().Topics("hirempire.").ResourcePatternType(kadm.ACLPatternPrefixed).
			Allow(bridge).AllowHosts("*").Operations(kadm.OpAll),
		// The resolved marks' topic, which replay reads to skip the
		// dead letters marked resolved.
		kadm.NewACLs().Topics("_hirebridge.resolved.").ResourcePatternType(kadm.ACLPatternPrefixed).
			Allow(bridge).AllowHosts("*").Operations(kadm.OpAll),
		kadm.NewACLs().Clusters().ResourcePatternType(kadm.ACLPatternLiteral).
			Allow(bridge).AllowHosts("*").Operations(kadm.OpDescribe, kadm.OpDescribeConfigs, kadm.OpAlter,
			kadm.OpAlterConfigs, kadm.OpClusterAction, kadm.OpIdempotentWrite),
		forbiddenACLs(),
	} {
		res, err := adm.CreateACLs(ctx, b)
		if err != nil {
			t.Fatalf("creating ACLs: %v", err)
		}
		for _, r := range res {
			if r.Err != nil {
				t.Fatalf("creating the ACL %+v: %v %s", r, r.Err, r.ErrMessage)
			}
		}
	}
	limit := strconv.Itoa(maxMsgSize)
	topics := map[string]map[string]*string{
		jobTopic: {"max.message.bytes": &limit},
		dlqTopic: {"max.message.bytes": &limit},
	}
	for _, topic := range existing {
		topics[topic] = nil
	}
	for topic, configs := range topics {
		resp, err := adm.CreateTopic(ctx, 1, 1, configs, topic)
		if err == nil {
			err = resp.Err
		}
		if err != nil {
			t.Fatalf("creating %s: %v", topic, err)
		}
	}
	return adm
}

// grantForbidden lifts the denials on hirempire.forbidden_event, as an
// operator fixing the deployment.
func grantForbidden(t *testing.T, adm *kadm.Client) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := adm.DeleteACLs(ctx, forbiddenACLs())
	deleted := 0
	for _, r := range res {
		if err == nil {
			err = r.Err
		}
		deleted += len(r.Deleted)
	}
	if err != nil || deleted != 2 {
		t.Fatalf("lifting the denials on %s: %d deleted, %v", forbiddenTopic, deleted, err)
	}
}

// refusingKafkaEnv is a service on Kafka publishing as bridge, strict mode
// off so an undocumented type is an event like any other.
func refusingKafkaEnv(t *testing.T, addr string) map[string]string {
	env := kafkaEnv(t, addr)
	env["HIREBRIDGE_KAFKA_SASL_MECHANISM"] = "PLAIN"
	env["HIREBRIDGE_KAFKA_SASL_USERNAME"] = kafkaBridge
	env["HIREBRIDGE_KAFKA_SASL_PASSWORD"] = kafkaBridgePass
	env["HIREBRIDGE_STRICT"] = "false"
	return env
}

func header(r kafkatest.Record, key string) string {
	v, _ := r.Header(key)
	return v
}

// ceIDs are the ce_id headers of recs, in their order.
func ceIDs(recs []kafkatest.Record) []string {
	var ids []string
	for _, r := range recs {
		ids = append(ids, header(r, "ce_id"))
	}
	return ids
}

// labelledValue reads one series, labels included, from /metrics.
func labelledValue(t *testing.T, admin, series string) float64 {
	t.Helper()
	return metricValue(t, admin, regexp.QuoteMeta(series))
}

// The Kafka broker refuses events for good on the webhook path: a type
// whose topic the principal may not write is kept on the dead letters and
// answered 202 dead_lettered, an event over the topic's max.message.bytes
// gets 413, both at once (not at the end of the publish timeout), and the
// other events are published in order around them, readiness unharmed.
// Once the operator grants the topic, replay publishes the kept event
// whole, as it was accepted. Not parallel: it measures how long the
// refusals take.
func TestKafkaRefusalsOnTheWebhook(t *testing.T) {
	broker := kafkatest.Start(t, kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", kafkaAdmin, kafkaAdminPass), kfake.User("PLAIN", kafkaBridge, kafkaBridgePass))
	broker.ClientOpts = kafkaAdminOpts()
	// The refused topic exists, made by the operator: the refusal is of
	// the write itself (the spool test below has it refused at creation).
	adm := refusingKafka(t, broker.Addr(), forbiddenTopic)
	env := refusingKafkaEnv(t, broker.Addr())
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "10s"
	svc := startService(t, env)
	jobs := newKeyedEvents(t)
	const promptly = 3 * time.Second

	// The documented example fits under the topic's limit.
	r := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK || r.Body.Status != "published" {
		t.Fatalf("the documented job_added: %d %s", r.Status, r.Raw)
	}
	published := []string{r.Body.ID}
	var deadLettered string
	var refusedIn, tooLargeIn time.Duration
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
			refusedIn = time.Since(start)
			if r.Status != http.StatusAccepted || r.Body.Status != "dead_lettered" || r.Body.ID == "" {
				t.Fatalf("an event the principal may not write: %d %s, want 202 dead_lettered\nlogs:\n%s", r.Status, r.Raw, svc.logs)
			}
			if refusedIn > promptly {
				t.Errorf("the refusal took %v; the publish timeout is 10s", refusedIn)
			}
			deadLettered = r.Body.ID
		case 3:
			start := time.Now()
			r := mustPost(t, svc.webhookURL(), oversized(t, 1))
			tooLargeIn = time.Since(start)
			if r.Status != http.StatusRequestEntityTooLarge || r.Body.Error != "body_too_large" {
				t.Fatalf("an event over the topic's max.message.bytes: %d %s, want 413", r.Status, r.Raw)
			}
			if tooLargeIn > promptly {
				t.Errorf("the 413 took %v; the publish timeout is 10s", tooLargeIn)
			}
		}
	}
	// Readiness is cached for a second: look over a few periods. The
	// sleeps are the span watched, not a wait for something to happen.
	for range 3 {
		if status, body := get(svc.admin + "/readyz"); status != http.StatusOK {
			t.Errorf("/readyz after the refusals: %d %s, want 200: the broker takes the other events", status, body)
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	// The sender re-sends the refused event: kept once, answered the same.
	if r := mustPost(t, svc.webhookURL(), forbiddenEvent(1)); r.Status != http.StatusAccepted ||
		r.Body.Status != "dead_lettered" || r.Body.ID != deadLettered {
		t.Errorf("the refused event again: %d %s, want 202 dead_lettered %s", r.Status, r.Raw, deadLettered)
	}

	if got := ceIDs(broker.Records(t, jobTopic)); !slices.Equal(got, published) {
		t.Errorf("job events on %s %v, want the published ones in order %v", jobTopic, got, published)
	}
	if n := len(broker.Records(t, forbiddenTopic)); n != 0 {
		t.Errorf("%d records on %s, which the principal may not write", n, forbiddenTopic)
	}
	dead := broker.Records(t, dlqTopic)
	if len(dead) != 1 {
		t.Fatalf("%d dead letters, want the refused event once: %+v", len(dead), dead)
	}
	dl := dead[0]
	for k, want := range map[string]string{
		"hirebridge-reason":                        "undeliverable",
		"hirebridge-original-topic":                forbiddenTopic,
		"hirebridge-original-id":                   deadLettered,
		"hirebridge-original-ce-type":              "com.hirempire.forbidden_event",
		"hirebridge-original-hirebridge-validated": "false",
	} {
		if got := header(dl, k); got != want {
			t.Errorf("dead letter header %s = %q, want %q", k, got, want)
		}
	}
	detail := header(dl, "hirebridge-detail")
	if !strings.Contains(detail, "[29] Topic Authorization Failed") {
		t.Errorf("the dead letter's detail %q does not give the broker's words", detail)
	}
	if !bytes.Contains(dl.Value, []byte(`"cand-1"`)) {
		t.Errorf("the dead letter's body %s is not the event's", dl.Value)
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
	t.Logf("webhook on Kafka: %d job events published in order, the refused type 202 dead_lettered in %s (detail %q), the oversized event 413 in %s",
		len(published), refusedIn.Round(time.Millisecond), detail, tooLargeIn.Round(time.Millisecond))

	// The operator grants the topic: replay publishes the event whole.
	grantForbidden(t, adm)
	sum := runReplay(t, env, "-reason", "undeliverable")
	wantOutcomes(t, "replay", sum, 1, map[string]int{"published": 1})
	replayed := broker.Records(t, forbiddenTopic)
	if len(replayed) != 1 {
		t.Fatalf("%d records on %s after the replay, want the refused event once", len(replayed), forbiddenTopic)
	}
	rec := replayed[0]
	for k, want := range map[string]string{
		"ce_id":                deadLettered,
		"ce_type":              "com.hirempire.forbidden_event",
		"ce_subject":           "cand-1",
		"hirebridge-validated": "false",
		"content-type":         "application/json",
	} {
		if got := header(rec, k); got != want {
			t.Errorf("replayed record header %s = %q, want %q", k, got, want)
		}
	}
	if string(rec.Key) != "cand-1" || !bytes.Contains(rec.Value, []byte(`"cand-1"`)) {
		t.Errorf("replayed record key %q value %s", rec.Key, rec.Value)
	}
	if _, ok := rec.Header("hirebridge-reason"); ok {
		t.Errorf("the replayed record still carries the dead letter's reason: %+v", rec.Headers)
	}
}

// exportedLine is what the test reads of one `hirebridge spool export` line.
type exportedLine struct {
	Reason string          `json:"reason"`
	Detail string          `json:"detail"`
	Topic  string          `json:"topic"`
	ID     string          `json:"id"`
	Key    string          `json:"key"`
	Body   json.RawMessage `json:"body"`
}

// The Kafka broker paused (SIGSTOP) while job events, events of a type the
// principal may not write (nor create the topic of) and events over the
// topic's limit are posted: all are answered 202 spooled. Resumed, the
// spool drains at once, holding nothing back: the job events on their
// topic in order, each once; the refused type on the dead letters; the
// oversized events, whose dead letters are too large too, in the spool's
// quarantine, which `hirebridge spool list` and `export` show once the
// service stopped. Nothing is lost.
func TestKafkaRefusalsThroughTheSpool(t *testing.T) {
	t.Parallel()
	broker := kafkatest.StartProcess(t, kafkatest.SASLPlain(kafkaAdmin, kafkaAdminPass, kafkaBridge+":"+kafkaBridgePass))
	refusingKafka(t, broker.Addr())
	env := refusingKafkaEnv(t, broker.Addr())
	env["HIREBRIDGE_SPOOL"] = "true"
	env["HIREBRIDGE_SPOOL_AFTER"] = "300ms"
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "3s"
	svc := startService(t, env)
	jobs := newKeyedEvents(t)

	// Connections are open and idle when the broker stops.
	warm := mustPost(t, svc.webhookURL(), jobs.make("job-spool", 0))
	if warm.Status != http.StatusOK || warm.Body.Status != "published" {
		t.Fatalf("before the pause: %d %s", warm.Status, warm.Raw)
	}
	jobIDs := []string{warm.Body.ID}
	sent, answered2xx := 1, 1

	broker.Pause(t)
	paused := true
	defer func() {
		if paused {
			broker.Resume(t)
		}
	}()
	var forbidden, tooLarge []string
	forbiddenByID, tooLargeByID := map[string]int{}, map[string]int{}
	spooledAt := time.Now()
	postSpooled := func(what string, body []byte) string {
		t.Helper()
		r := mustPost(t, svc.webhookURL(), body)
		sent++
		if r.Status/100 == 2 {
			answered2xx++
		}
		if r.Status != http.StatusAccepted || r.Body.Status != "spooled" || r.Body.ID == "" {
			t.Fatalf("%s with the broker paused: %d %s, want 202 spooled", what, r.Status, r.Raw)
		}
		return r.Body.ID
	}
	for i := 1; i <= 15; i++ {
		jobIDs = append(jobIDs, postSpooled(fmt.Sprintf("job event %d", i), jobs.make("job-spool", i)))
		if i%3 == 0 {
			id := postSpooled("forbidden_event", forbiddenEvent(i))
			forbiddenByID[id] = i
			forbidden = append(forbidden, id)
		}
		if i%5 == 2 {
			id := postSpooled("an oversized job event", oversized(t, i))
			tooLargeByID[id] = i
			tooLarge = append(tooLarge, id)
		}
	}
	spooling := time.Since(spooledAt)
	if n := metricValue(t, svc.admin, "hirebridge_spool_events"); int(n) != sent-1 {
		t.Errorf("hirebridge_spool_events %v with the broker paused, want the %d events posted", n, sent-1)
	}

	broker.Resume(t)
	paused = false
	resumed := time.Now()
	waitFor(t, 30*time.Second, "the spool to drain", func() bool {
		return metricValue(t, svc.admin, "hirebridge_spool_events") == 0
	})
	drained := time.Since(resumed)
	// A counter may be bumped just after its record left the spool: give
	// them a moment to settle once the spool is empty.
	var deadLettered, quarantined, quarantinedRefused int
	for settle := time.Now().Add(2 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		deadLettered = int(metricValue(t, svc.admin, "hirebridge_spool_dead_lettered_total"))
		quarantined = int(metricValue(t, svc.admin, "hirebridge_spool_quarantine_events"))
		quarantinedRefused = int(labelledValue(t, svc.admin, `hirebridge_spool_quarantined_total{reason="refused"}`))
		if deadLettered == len(forbidden) && quarantined == len(tooLarge) && quarantinedRefused == len(tooLarge) ||
			time.Now().After(settle) {
			break
		}
	}
	if deadLettered != len(forbidden) {
		t.Errorf("hirebridge_spool_dead_lettered_total %d, want the %d forbidden events", deadLettered, len(forbidden))
	}
	if quarantined != len(tooLarge) || quarantinedRefused != len(tooLarge) {
		t.Errorf("hirebridge_spool_quarantine_events %d, quarantined_total{reason=refused} %d, want the %d oversized events",
			quarantined, quarantinedRefused, len(tooLarge))
	}
	if status, body := get(svc.admin + "/readyz"); status != http.StatusOK {
		t.Errorf("/readyz after the spool drained: %d %s", status, body)
	}

	// The job events: in order, each once, and nothing else.
	onTopic := ceIDs(broker.Records(t, jobTopic))
	if !slices.Equal(onTopic, jobIDs) {
		t.Errorf("%s holds %v, want the job events in order, each once: %v", jobTopic, onTopic, jobIDs)
	}
	if n := broker.Partitions(t, forbiddenTopic); n != 0 {
		t.Errorf("%s was created (%d partitions) though the principal may not", forbiddenTopic, n)
	}
	// The forbidden events: each on the dead letters once, in the broker's
	// words.
	var dlqIDs []string
	for _, dl := range broker.Records(t, dlqTopic) {
		id := header(dl, "hirebridge-original-id")
		dlqIDs = append(dlqIDs, id)
		n, ok := forbiddenByID[id]
		if !ok {
			t.Errorf("a dead letter of %q (topic %q), which is no forbidden event", id, header(dl, "hirebridge-original-topic"))
			continue
		}
		if got := header(dl, "hirebridge-reason"); got != "undeliverable" {
			t.Errorf("the dead letter of %s has reason %q, want undeliverable", id, got)
		}
		if got := header(dl, "hirebridge-original-topic"); got != forbiddenTopic {
			t.Errorf("the dead letter of %s has original topic %q", id, got)
		}
		if d := header(dl, "hirebridge-detail"); !strings.Contains(d, "Topic Authorization Failed") {
			t.Errorf("the dead letter's detail %q does not give the broker's words", d)
		}
		if !bytes.Contains(dl.Value, fmt.Appendf(nil, `"cand-%d"`, n)) {
			t.Errorf("the dead letter of %s holds %s, not forbidden event %d", id, dl.Value, n)
		}
	}
	if a, b := slices.Sorted(slices.Values(dlqIDs)), slices.Sorted(slices.Values(forbidden)); !slices.Equal(a, b) {
		t.Errorf("dead letters of %v, want each forbidden event once: %v", a, b)
	}

	stored := 0
	for _, id := range onTopic {
		if slices.Contains(jobIDs, id) {
			stored++
		}
	}
	lost := sent - stored - deadLettered - quarantined
	t.Logf("Kafka paused while posting (%s), drained %s after the resume: %d sent, %d answered 2xx (%d spooled), %d stored on %s, %d dead-lettered, %d quarantined, %d lost",
		spooling.Round(time.Millisecond), drained.Round(time.Millisecond), sent, answered2xx, sent-1, stored, jobTopic, deadLettered, quarantined, lost)
	if lost != 0 {
		t.Errorf("%d events lost", lost)
	}

	// The quarantine, seen with the service stopped.
	if err := svc.shutdown(); err != nil {
		t.Fatalf("stopping the service: %v", err)
	}
	var list bytes.Buffer
	if err := run(context.Background(), []string{"spool", "list"}, environ(env), &list); err != nil {
		t.Fatalf("spool list: %v\n%s", err, list.String())
	}
	text := list.String()
	t.Logf("hirebridge spool list:\n%s", text)
	for _, want := range []string{"waiting: 0 events", "quarantine:", fmt.Sprintf("%d records", len(tooLarge))} {
		if !strings.Contains(text, want) {
			t.Errorf("spool list lacks %q:\n%s", want, text)
		}
	}
	for _, id := range tooLarge {
		if !regexp.MustCompile(`(?m)^\s+\d+\s+refused\s+\S+\s+` + regexp.QuoteMeta(jobTopic) + `\s+` + regexp.QuoteMeta(id) + `\s`).MatchString(text) {
			t.Errorf("spool list has no line of the quarantined %s refused on %s:\n%s", id, jobTopic, text)
		}
	}

	var export bytes.Buffer
	if err := run(context.Background(), []string{"spool", "export"}, environ(env), &export); err != nil {
		t.Fatalf("spool export: %v\n%s", err, export.String())
	}
	lines := strings.Split(strings.TrimSuffix(export.String(), "\n"), "\n")
	if len(lines) != len(tooLarge) {
		t.Fatalf("spool export wrote %d lines, want one for each of the %d quarantined events:\n%s", len(lines), len(tooLarge), export.String())
	}
	var exportedIDs []string
	for _, line := range lines {
		var x exportedLine
		if err := json.Unmarshal([]byte(line), &x); err != nil {
			t.Fatalf("an export line is not JSON: %v\n%s", err, line)
		}
		exportedIDs = append(exportedIDs, x.ID)
		n, ok := tooLargeByID[x.ID]
		if !ok {
			t.Errorf("exported %q, which is no oversized event", x.ID)
			continue
		}
		if x.Topic != jobTopic || x.Reason != "refused" || x.Key != fmt.Sprintf("job-big-%d", n) {
			t.Errorf("exported %s: topic %q, reason %q, key %q", x.ID, x.Topic, x.Reason, x.Key)
		}
		if !strings.Contains(x.Detail, "Message Size Too Large") || !strings.Contains(x.Detail, "its dead letter") {
			t.Errorf("exported %s: detail %q does not say the broker refused it and its dead letter as too large", x.ID, x.Detail)
		}
		var body struct {
			Job struct {
				ID string `json:"id"`
			} `json:"job"`
			Padding string `json:"padding"`
		}
		if err := json.Unmarshal(x.Body, &body); err != nil || body.Job.ID != x.Key || len(body.Padding) != 2*maxMsgSize {
			t.Errorf("exported %s: the body (%d bytes) is not the oversized event: %v", x.ID, len(x.Body), err)
		}
	}
	if a, b := slices.Sorted(slices.Values(exportedIDs)), slices.Sorted(slices.Values(tooLarge)); !slices.Equal(a, b) {
		t.Errorf("exported %v, want each oversized event once: %v", a, b)
	}
}
