package bridge

import (
	"bytes"
	"net/http"
	"reflect"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
)

func TestPublished(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	doc := decodeObject(t, payload(t, "applicant_applied"))
	// An offset and a fraction of more than three digits, which the
	// published event carries in UTC with milliseconds.
	doc["timestamp"] = "2026-01-30T01:14:56.3951+01:00"
	doc["event"] = " Applicant_Applied "
	doc["extra"] = map[string]any{"kept": true}
	body := encode(t, doc)
	const (
		traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
		tracestate  = "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"
	)

	r := h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(body), map[string]string{
		"Traceparent": traceparent,
		"Tracestate":  tracestate,
		// The body decides, not what the sender calls it.
		"Content-Type": "text/plain; charset=utf-8",
	})
	id := wantOutcome(t, r, "published")

	m := h.only(t, testPrefix+".applicant_applied")
	want := map[string]string{
		"ce-specversion": "1.0",
		"ce-id":          id,
		"ce-source":      testSource,
		"ce-type":        "com.hirempire.applicant_applied",
		"ce-time":        "2026-01-30T00:14:56.395Z",
		"ce-subject":     "app_xyz789wvu654tsr321",
		"ce-dataschema":  "https://hirebridge.dev/schemas/applicant_applied.json",
		"content-type":   "application/json",
		"Nats-Msg-Id":    id,
		"traceparent":    traceparent,
		"tracestate":     tracestate,
	}
	for name, v := range want {
		if got := header(t, m, name); got != v {
			t.Errorf("header %s %q, want %q", name, got, v)
		}
	}
	if _, ok := m.Header["hirebridge-validated"]; ok {
		t.Errorf("a documented type that passed its schema is marked hirebridge-validated")
	}
	// The id is derived from the published body alone.
	if got := events.ContentID(m.Data); got != id {
		t.Errorf("id %s is not the id of the published body (%s)", id, got)
	}

	// The body is the sender's object with the contract's changes only.
	wantBody := decodeObject(t, payload(t, "applicant_applied"))
	wantBody["event"] = "applicant_applied"
	wantBody["timestamp"] = "2026-01-30T00:14:56.395Z"
	wantBody["extra"] = map[string]any{"kept": true}
	company := wantBody["company"].(map[string]any)
	company["name"] = company["company"]
	if got := decodeObject(t, m.Data); !reflect.DeepEqual(got, wantBody) {
		t.Errorf("published body\n%s\nwant\n%s", m.Data, encode(t, wantBody))
	}
}

// Every documented example is published on its own subject, keyed by the
// entity it is about.
func TestPublishedExamples(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	entity := func(doc map[string]any, member string) string {
		obj, _ := doc[member].(map[string]any)
		id, _ := obj["id"].(string)
		return id
	}
	ids := map[string]bool{}
	for name, body := range examplePayloads(t) {
		if name == "challenge" {
			continue
		}
		t.Run(name, func(t *testing.T) {
			doc := decodeObject(t, body)
			event := doc["event"].(string)
			key := entity(doc, "applicant")
			if event[:4] == "job_" {
				key = entity(doc, "job")
			}
			if key == "" {
				t.Fatalf("example %s has no entity id to check the key against", name)
			}
			id := wantOutcome(t, h.post(t, body), "published")
			if ids[id] {
				t.Errorf("id %s answered for two different events", id)
			}
			ids[id] = true
			m := h.only(t, testPrefix+"."+event)
			if got := header(t, m, "ce-subject"); got != key {
				t.Errorf("ce-subject %q, want %q", got, key)
			}
			if got := header(t, m, "ce-id"); got != id {
				t.Errorf("ce-id %q, want %q", got, id)
			}
		})
	}
}

func TestTraceStateWithoutTraceParent(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	r := h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(jobAdded(t, "job_1")), map[string]string{"Tracestate": "rojo=1"})
	wantOutcome(t, r, "published")
	m := h.only(t, testPrefix+".job_added")
	for _, name := range []string{"traceparent", "tracestate"} {
		if v, ok := m.Header[name]; ok {
			t.Errorf("header %s %q copied without a traceparent to belong to", name, v)
		}
	}
}

func TestUnknownEventType(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"candidate_hired","timestamp":"2026-01-30T00:14:56Z","candidate":{"id":"cand_1"},"salary":120000.50}`)

	t.Run("published unvalidated", func(t *testing.T) {
		h := newHarness(t)
		id := wantOutcome(t, h.post(t, body), "published")
		m := h.only(t, testPrefix+".candidate_hired")
		for name, want := range map[string]string{
			"hirebridge-validated": "false",
			"ce-type":              "com.hirempire.candidate_hired",
			"ce-subject":           "cand_1",
			"ce-time":              "2026-01-30T00:14:56.000Z",
			"ce-id":                id,
		} {
			if got := header(t, m, name); got != want {
				t.Errorf("header %s %q, want %q", name, got, want)
			}
		}
		if _, ok := m.Header["ce-dataschema"]; ok {
			t.Error("an undocumented type carries ce-dataschema: no schema vouches for it")
		}
		if !bytes.Contains(m.Data, []byte(`"salary":120000.50`)) {
			t.Errorf("published body %s lost the number's exact text", m.Data)
		}
	})

	t.Run("strict", func(t *testing.T) {
		h := newHarness(t, withConfig(func(c *Config) { c.Strict = true }))
		detail := wantError(t, h.post(t, body), http.StatusUnprocessableEntity, string(schema.ReasonUnknownType))
		h.wantDeadLetter(t, 0, body, string(schema.ReasonUnknownType), detail)
		if n := h.stored(t); n != 1 {
			t.Errorf("%d messages stored, want the dead letter only", n)
		}
		// Strict mode refuses what is unknown, not what is documented.
		wantOutcome(t, h.post(t, jobAdded(t, "job_strict")), "published")
	})
}
