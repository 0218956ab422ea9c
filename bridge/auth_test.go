package bridge

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"
)

func TestUnauthorized(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	base := h.web.URL + testPath
	wrong := "tok-3n_Q~x.9+Z" // one letter's case away from the token
	cases := []struct {
		name   string
		url    string
		header map[string]string
		body   []byte
	}{
		{name: "no token", url: base},
		{name: "no token after a slash", url: base + "/"},
		{name: "wrong path segment", url: base + "/" + url.PathEscape(wrong)},
		{name: "path segment too long", url: base + "/" + url.PathEscape(testToken+"x")},
		{name: "path segment too short", url: base + "/" + url.PathEscape(testToken[:len(testToken)-1])},
		{name: "wrong query", url: base + "?token=" + url.QueryEscape(wrong)},
		// An unescaped + is a space in a query, so this is not the token.
		{name: "query not escaped", url: base + "?token=" + testToken},
		{name: "query under another name", url: base + "?Token=" + url.QueryEscape(testToken)},
		{name: "wrong bearer", url: base, header: map[string]string{"Authorization": "Bearer " + wrong}},
		{name: "empty bearer", url: base, header: map[string]string{"Authorization": "Bearer "}},
		{name: "token without scheme", url: base, header: map[string]string{"Authorization": testToken}},
		{name: "basic scheme", url: base, header: map[string]string{"Authorization": "Basic " + testToken}},
		{name: "token as another header", url: base, header: map[string]string{"X-Token": testToken}},
		// The handshake is authenticated too: a wrong registered URL must
		// fail at registration.
		{name: "challenge without token", url: base, body: payload(t, "challenge")},
		{name: "challenge with wrong token", url: base + "/" + wrong, body: payload(t, "challenge")},
		// Not even a dead letter for a body from someone without the token.
		{name: "garbage without token", url: base, body: []byte("not json at all")},
		{name: "invalid event without token", url: base, body: []byte(`{"event":"job.*"}`)},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := c.body
			if body == nil {
				body = jobAdded(t, "job_unauthorized_"+string(rune('a'+i)))
			}
			r := h.do(t, http.MethodPost, c.url, bytes.NewReader(body), c.header)
			wantError(t, r, http.StatusUnauthorized, codeUnauthorized)
			// A client without the token holds no connection open.
			if !r.closes {
				t.Error("the connection is kept alive after a 401, want Connection: close")
			}
			if bytes.Contains(r.body, []byte(testToken)) {
				t.Errorf("the answer %s echoes the token", r.body)
			}
			if n := h.stored(t); n != 0 {
				t.Fatalf("%d messages stored after a 401, want none", n)
			}
		})
	}
}

func TestTokenPlaces(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	base := h.web.URL + testPath
	cases := []struct {
		name   string
		url    string
		header map[string]string
	}{
		{name: "path segment", url: base + "/" + url.PathEscape(testToken)},
		{name: "query", url: base + "?token=" + url.QueryEscape(testToken)},
		{name: "query beside others", url: base + "?source=hirempire&token=" + url.QueryEscape(testToken)},
		{name: "bearer", url: base, header: map[string]string{"Authorization": "Bearer " + testToken}},
		{name: "bearer after a slash", url: base + "/", header: map[string]string{"Authorization": "Bearer " + testToken}},
		{name: "query after a slash", url: base + "/?token=" + url.QueryEscape(testToken)},
		{name: "bearer in lower case", url: base, header: map[string]string{"Authorization": "bearer " + testToken}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			subject := testPrefix + ".job_added"
			before := len(h.messages(t, subject))
			r := h.do(t, http.MethodPost, c.url, bytes.NewReader(jobAdded(t, "job_"+c.name)), c.header)
			id := wantOutcome(t, r, "published")
			ms := h.messages(t, subject)
			if len(ms) != before+1 {
				t.Fatalf("%d messages on %s, want %d", len(ms), subject, before+1)
			}
			if got := header(t, ms[len(ms)-1], "ce-id"); got != id {
				t.Errorf("stored ce-id %q, want the answered id %q", got, id)
			}
		})
	}
}
