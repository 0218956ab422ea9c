package main

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

const (
	acmeToken    = "acme-token-0123456789"
	globexToken  = "globex-token-0123456789"
	globexToken2 = "globex-token-abcdefghij"
	acmeURI      = "https://acme.example/hirempire"
	globexURI    = "https://globex.example/hirempire"
)

// twoSources: acme with the service's defaults but its own source URI,
// globex strict.
func twoSources(globexTokens ...string) string {
	return "- name: acme\n  tokens: [" + acmeToken + "]\n  source: " + acmeURI + "\n" +
		"- name: globex\n  tokens: [" + strings.Join(globexTokens, ", ") + "]\n  source: " + globexURI + "\n  strict: true\n"
}

func withSourcesFile(t *testing.T, env map[string]string, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	delete(env, "HIREBRIDGE_WEBHOOK_TOKEN")
	env["HIREBRIDGE_SOURCES_FILE"] = path
	return path
}

// distinctJob is the job_added example about job id.
func distinctJob(t testing.TB, id string) []byte {
	t.Helper()
	doc := decodeObject(t, example(t, "job_added.json"))
	doc["job"].(map[string]any)["id"] = id
	b, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// undocumentedBody is accepted from acme and refused by strict globex.
var undocumentedBody = []byte(`{"event":"candidate_hired","timestamp":"2026-01-30T00:14:56Z","candidate":{"id":"c1"}}`)

// postAsSources sends a job from each source and the undocumented body
// from each: acme's is published, globex's a dead letter.
func postAsSources(t *testing.T, svc *service) {
	t.Helper()
	base := svc.web + "/webhooks/hirempire/"
	for tok, id := range map[string]string{acmeToken: "job_acme", globexToken: "job_globex"} {
		if r := mustPost(t, base+tok, distinctJob(t, id)); r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", id, r.Status, r.Raw)
		}
	}
	if r := mustPost(t, base+acmeToken, undocumentedBody); r.Status != http.StatusOK {
		t.Fatalf("undocumented from acme: %d %s", r.Status, r.Raw)
	}
	if r := mustPost(t, base+globexToken, undocumentedBody); r.Status != http.StatusUnprocessableEntity {
		t.Fatalf("undocumented from strict globex: %d %s, want 422", r.Status, r.Raw)
	}
}

// wantSourced checks a message's source headers: name and CloudEvents
// source, by what its body is.
func wantSourced(t *testing.T, where, subject string, body []byte, source, ceSource string) {
	t.Helper()
	want := map[string]string{"job_acme": "acme", "job_globex": "globex", "c1": "acme"}
	for marker, name := range want {
		if !strings.Contains(string(body), marker) {
			continue
		}
		if source != name {
			t.Errorf("%s %s: %s %q, want %q", where, subject, events.HeaderSource, source, name)
		}
		if uri := map[string]string{"acme": acmeURI, "globex": globexURI}[name]; ceSource != uri {
			t.Errorf("%s %s: CloudEvents source %q, want %q", where, subject, ceSource, uri)
		}
		return
	}
	t.Errorf("%s %s: unexpected body %s", where, subject, body)
}

func TestSourcesOnNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	withSourcesFile(t, env, twoSources(globexToken))
	svc := startService(t, env)
	postAsSources(t, svc)
	letters := 0
	for _, m := range readStream(t, broker.URL(), "HIREMPIRE") {
		if m.Subject == "hirempire.dlq" {
			letters++
			if got := m.Header.Get(events.HeaderSource); got != "globex" {
				t.Errorf("dead letter: %s %q, want globex", events.HeaderSource, got)
			}
			continue
		}
		wantSourced(t, "NATS", m.Subject, m.Data, m.Header.Get(events.HeaderSource), natsjs.DecodeAttribute(m.Header.Get(events.NATS.Source)))
	}
	if letters != 1 {
		t.Errorf("%d dead letters, want 1", letters)
	}
}

func TestSourcesOnKafka(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	env := kafkaEnv(t, broker.Addr())
	withSourcesFile(t, env, twoSources(globexToken))
	svc := startService(t, env)
	postAsSources(t, svc)
	headers := func(r kafkatest.Record) map[string]string {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = kv.Value
		}
		return h
	}
	n := 0
	for _, topic := range []string{"hirempire.job_added", "hirempire.candidate_hired"} {
		for _, r := range broker.Records(t, topic) {
			n++
			h := headers(r)
			wantSourced(t, "Kafka", topic, r.Value, h[events.HeaderSource], h[events.Kafka.Source])
		}
	}
	if n != 3 {
		t.Errorf("%d events, want 3", n)
	}
	dlq := broker.Records(t, "hirempire.dlq")
	if len(dlq) != 1 || headers(dlq[0])[events.HeaderSource] != "globex" {
		t.Errorf("dead letters %+v, want one of globex", dlq)
	}
}

// A sources file that does not parse stops the start with one line naming
// the file and the line; beside HIREBRIDGE_WEBHOOK_TOKEN it is refused.
func TestSourcesFileStartErrors(t *testing.T) {
	t.Parallel()
	env := baseEnv(t, "nats://127.0.0.1:1")
	path := withSourcesFile(t, env, "- name: acme\n  tokens: ["+acmeToken+"]\n- name: acme!\n  tokens: ["+globexToken+"]\n")
	err := serveCommand(context.Background(), environ(env), &strings.Builder{}, nil)
	want := "HIREBRIDGE_SOURCES_FILE: " + path + ": line 3: "
	if err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), "\n") {
		t.Errorf("serve: %v, want one line starting %q", err, want)
	}
	env["HIREBRIDGE_WEBHOOK_TOKEN"] = testToken
	withSourcesFile(t, env, twoSources(globexToken))
	env["HIREBRIDGE_WEBHOOK_TOKEN"] = testToken
	err = serveCommand(context.Background(), environ(env), &strings.Builder{}, nil)
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_WEBHOOK_TOKEN is set too") {
		t.Errorf("serve with both: %v, want a refusal naming both", err)
	}
}
