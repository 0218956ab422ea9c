package bridge

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

// withRaw returns the job_added example with one more member whose value
// (or whole "name":value text) is written raw, so the body can hold what an
// encoder would never write.
func withRaw(t *testing.T, member string) []byte {
	t.Helper()
	body := bytes.TrimSpace(payload(t, "job_added"))
	return append(append(body[:len(body)-1:len(body)-1], ","+member...), '}')
}

// Every body that breaks I-JSON is answered 400 with the problem and its
// path, and kept byte for byte on the dead-letter subject with its reason.
func TestNotIJSONIsRejected(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	deep := `"deep":` + strings.Repeat("[", schema.MaxDepth) + strings.Repeat("]", schema.MaxDepth)
	cases := []struct {
		name string
		body []byte
		// field is the JSON pointer the detail must name; problem the words.
		field, problem string
	}{
		{"invalid UTF-8", withRaw(t, "\"note\":\"\xff\xfe\""), "/note", "invalid UTF-8"},
		{"lone surrogate", withRaw(t, `"note":"\ud800"`), "/note", "lone surrogate"},
		{"duplicate name", withRaw(t, `"event":"job_closed"`), "/event", "duplicate member name"},
		{"duplicate name, nested", withRaw(t, `"x":{"a":[{"b":1,"b":2}]}`), "/x/a/0/b", "duplicate member name"},
		{"overflowing number", withRaw(t, `"salary":1e400`), "/salary", "IEEE 754 double"},
		{"NUL in a value", withRaw(t, `"note":"a\u0000b"`), "/note", `\u0000`},
		{"NUL in a name", withRaw(t, `"a\u0000":1`), "/a?", `\u0000`},
		{"33 levels", withRaw(t, deep), "/deep" + strings.Repeat("/0", schema.MaxDepth-1), "deeper than 32"},
		{"9,990 levels", withRaw(t, `"deep":`+strings.Repeat("[", 9990)+strings.Repeat("]", 9990)), "/deep" + strings.Repeat("/0", schema.MaxDepth-1), "deeper than 32"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.messages(t, dlq))
			stored := h.stored(t)
			r := h.post(t, c.body)
			detail := wantError(t, r, http.StatusBadRequest, string(schema.ReasonNotIJSON))
			if !strings.Contains(detail, c.problem) || !strings.Contains(detail, c.field) {
				t.Errorf("detail %q should say %q and name %s", detail, c.problem, c.field)
			}
			h.wantDeadLetter(t, before, c.body, string(schema.ReasonNotIJSON), detail)
			if n := h.stored(t); n != stored+1 {
				t.Errorf("%d messages stored, want %d: the dead letter only", n, stored+1)
			}
		})
	}
}

// 32 levels, the top-level object included, are allowed.
func TestThirtyTwoLevelsArePublished(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	levels := schema.MaxDepth - 1
	wantOutcome(t, h.post(t, withRaw(t, `"deep":`+strings.Repeat("[", levels)+strings.Repeat("]", levels))), "published")
}

// Two bodies a lenient decoder would read alike (each invalid byte as
// U+FFFD) used to share an id, and the second was answered "duplicate" and
// dropped. Both are now refused, and both are dead-lettered apart.
func TestInvalidUTF8BodiesAreNotConflated(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	first, second := withRaw(t, "\"note\":\"\xff\xfe\""), withRaw(t, "\"note\":\"\xfe\xff\"")
	for _, body := range [][]byte{first, second} {
		wantError(t, h.post(t, body), http.StatusBadRequest, string(schema.ReasonNotIJSON))
	}
	ms := h.messages(t, dlq)
	if len(ms) != 2 || !bytes.Equal(ms[0].Data, first) || !bytes.Equal(ms[1].Data, second) {
		t.Errorf("%d dead letters; want both bodies, each byte for byte", len(ms))
	}
	if n := len(h.messages(t, testPrefix+".job_added")); n != 0 {
		t.Errorf("%d events published, want none", n)
	}
}
