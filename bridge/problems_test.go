package bridge

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

// A body with several problems is answered with all of them, up to
// schema.MaxProblems, in the detail and in the dead letter's
// hirebridge-detail alike: the sender fixes them in one go, not one per
// try.
func TestEveryProblemAnswered(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	badTimestampAndJobID := func() []byte {
		doc := decodeObject(t, payload(t, "job_added"))
		doc["timestamp"] = "yesterday"
		doc["job"].(map[string]any)["id"] = 42
		return encode(t, doc)
	}
	noCompanyAndJobID := func() []byte {
		doc := decodeObject(t, payload(t, "job_added"))
		delete(doc, "company")
		doc["job"].(map[string]any)["id"] = 42
		return encode(t, doc)
	}
	cases := []struct {
		name string
		body []byte
		code schema.Reason
		// named are the problems' words, in the order the detail gives them.
		named []string
	}{
		{"a bad timestamp and a schema violation", badTimestampAndJobID(), schema.ReasonBadTimestamp, []string{
			"invalid_timestamp at /timestamp: the timestamp is not an RFC 3339 date-time",
			"; job_added: /job/id got number, want string",
		}},
		{"two schema violations", noCompanyAndJobID(), schema.ReasonSchema, []string{
			"schema_violation at /company: job_added requires /company",
			"; job_added: /job/id got number, want string",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.messages(t, dlq))
			detail := wantError(t, h.post(t, c.body), http.StatusUnprocessableEntity, string(c.code))
			rest := detail
			for _, words := range c.named {
				i := strings.Index(rest, words)
				if i < 0 {
					t.Fatalf("detail %q does not name %q after the problems before it", detail, words)
				}
				rest = rest[i+len(words):]
			}
			h.wantDeadLetter(t, before, c.body, string(c.code), detail)
		})
	}

	t.Run("more than the bound", func(t *testing.T) {
		const elements = 1000
		doc := decodeObject(t, payload(t, "job_added"))
		sources := make([]any, elements)
		for i := range sources {
			sources[i] = i
		}
		doc["job"].(map[string]any)["sources"] = sources
		body := encode(t, doc)
		before := len(h.messages(t, dlq))
		detail := wantError(t, h.post(t, body), http.StatusUnprocessableEntity, string(schema.ReasonSchema))
		if n := strings.Count(detail, "got number, want null or string"); n != schema.MaxProblems {
			t.Errorf("detail words %d problems, want the %d listed: %q", n, schema.MaxProblems, detail)
		}
		more := "; and " + strconv.Itoa(elements-schema.MaxProblems) + " more problems"
		if !strings.HasSuffix(detail, more) {
			t.Errorf("detail %q does not end with %q", detail, more)
		}
		// Bounded whatever the body holds: a header, not a copy of it.
		if len(detail) > 2000 {
			t.Errorf("detail of %d bytes for %d problems", len(detail), elements)
		}
		h.wantDeadLetter(t, before, body, string(schema.ReasonSchema), detail)
	})
}
