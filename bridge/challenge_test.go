package bridge

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
)

func TestChallenge(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	cases := []struct {
		name string
		body string
		// raw is the value as it appears in body; the answer must hold it
		// byte for byte, escapes and spacing included.
		raw string
	}{
		{"documented", string(payload(t, "challenge")), `"a1b2c3d4e5f6g7h8i9j0"`},
		{"escapes", `{"challenge":"\u00e9\n\"\/"}`, `"\u00e9\n\"\/"`},
		{"raw utf-8", `{"challenge":"é✓"}`, `"é✓"`},
		{"html characters", `{"challenge":"<a&b>"}`, `"<a&b>"`},
		{"number", `{"type":"url_verification","challenge": 12.50e+1 }`, `12.50e+1`},
		{"big integer", `{"challenge":123456789012345678901234567890}`, `123456789012345678901234567890`},
		{"object", `{"challenge": {"b": [1, 2.0], "a" : "x"} , "type":"url_verification"}`, `{"b": [1, 2.0], "a" : "x"}`},
		{"null", `{"challenge":null}`, `null`},
	}
	for _, ct := range []string{"", "text/plain", "application/json", "application/x-www-form-urlencoded"} {
		for _, c := range cases {
			t.Run(c.name+"/"+ct, func(t *testing.T) {
				hdr := map[string]string{}
				if ct != "" {
					hdr["Content-Type"] = ct
				}
				r := h.do(t, http.MethodPost, h.webhookURL(), bytes.NewReader([]byte(c.body)), hdr)
				if r.status != http.StatusOK {
					t.Fatalf("status %d, want 200; body %s", r.status, r.body)
				}
				if got := r.header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type %q, want application/json", got)
				}
				if want := `{"challenge":` + c.raw + `}`; string(r.body) != want {
					t.Errorf("answer %s, want %s", r.body, want)
				}
				if !json.Valid(r.body) {
					t.Errorf("answer %s is not JSON", r.body)
				}
			})
		}
	}
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored after handshakes, want none", n)
	}
}

// An event that carries a challenge member is an event: validated,
// published and answered as one. Echoing the challenge would be a 200 for
// something never stored.
func TestEventWithChallengeMemberIsPublished(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	doc := decodeObject(t, payload(t, "job_added"))
	doc["challenge"] = "abc"
	r := h.post(t, encode(t, doc))
	id := wantOutcome(t, r, "published")
	msg := h.only(t, testPrefix+".job_added")
	if got := header(t, msg, "ce-id"); got != id {
		t.Errorf("stored ce-id %q, want %q", got, id)
	}
	var stored map[string]any
	if err := json.Unmarshal(msg.Data, &stored); err != nil || stored["challenge"] != "abc" {
		t.Errorf("stored body %s should keep the challenge member (%v)", msg.Data, err)
	}

	// And an invalid event with a challenge member is rejected as an event.
	r = h.post(t, []byte(`{"event":"job.*","challenge":"c1","timestamp":"2026-01-30T02:05:17Z"}`))
	wantError(t, r, http.StatusUnprocessableEntity, "invalid_event")
	// null is a member too: the body is not the handshake.
	r = h.post(t, []byte(`{"event":null,"challenge":"c1"}`))
	wantError(t, r, http.StatusUnprocessableEntity, "invalid_event")
}
