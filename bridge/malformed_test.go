package bridge

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

func TestNotAJSONObject(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name, body string
		code       schema.Reason
	}{
		{"not json", "event=job_added&timestamp=now", schema.ReasonNotJSON},
		{"empty", "", schema.ReasonNotJSON},
		{"only whitespace", " \r\n\t", schema.ReasonNotJSON},
		{"truncated", `{"event":"job_added","timestamp":`, schema.ReasonNotJSON},
		{"trailing garbage", `{"event":"job_added"} x`, schema.ReasonNotJSON},
		{"two objects", `{"event":"job_added"}{"event":"job_added"}`, schema.ReasonNotJSON},
		{"byte order mark", "\xef\xbb\xbf{}", schema.ReasonNotJSON},
		{"array", `[{"event":"job_added"}]`, schema.ReasonNotObject},
		{"string", `"job_added"`, schema.ReasonNotObject},
		{"number", `42`, schema.ReasonNotObject},
		{"null", `null`, schema.ReasonNotObject},
		{"boolean", `true`, schema.ReasonNotObject},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(h.messages(t, dlq))
			stored := h.stored(t)
			body := []byte(c.body)
			r := h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(body), map[string]string{"Content-Type": "application/json"})
			detail := wantError(t, r, http.StatusBadRequest, string(c.code))
			h.wantDeadLetter(t, before, body, string(c.code), detail)
			if n := h.stored(t); n != stored+1 {
				t.Errorf("%d messages stored, want %d: the dead letter only", n, stored+1)
			}
		})
	}
}

// A dead letter keeps what the sender said the body was, to help whoever
// reads the dead-letter topic.
func TestDeadLetterContentType(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	body := []byte("<xml/>")
	r := h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader(body), map[string]string{"Content-Type": "text/xml"})
	wantError(t, r, http.StatusBadRequest, string(schema.ReasonNotJSON))
	if got := header(t, h.only(t, dlq), "hirebridge-content-type"); got != "text/xml" {
		t.Errorf("hirebridge-content-type %q, want text/xml", got)
	}
}
