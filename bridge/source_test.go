package bridge

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/events"
)

const (
	oldToken = "old-token-0123456789"
	newToken = "new-token-9876543210"
)

// TestSeveralTokens: every token of HIREBRIDGE_WEBHOOK_TOKEN works, in
// each place a token may be given; any other gets 401.
func TestSeveralTokens(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker(), withConfig(func(c *Config) {
		c.Token = oldToken + ", " + testToken + "," + newToken
	}))
	base := h.web.URL + testPath
	for i, tok := range []string{oldToken, testToken, newToken} {
		for _, place := range []struct {
			name   string
			url    string
			header map[string]string
		}{
			{"path", base + "/" + url.PathEscape(tok), nil},
			{"query", base + "?token=" + url.QueryEscape(tok), nil},
			{"bearer", base, map[string]string{"Authorization": "Bearer " + tok}},
		} {
			body := jobAdded(t, "job_token_"+place.name+string(rune('a'+i)))
			r := h.do(t, http.MethodPost, place.url, bytes.NewReader(body), place.header)
			if r.status != http.StatusOK {
				t.Errorf("token %d in the %s: %d %s, want 200", i+1, place.name, r.status, r.body)
			}
		}
	}
	for _, wrong := range []string{"", oldToken + "," + newToken, oldToken[:len(oldToken)-1], "other-token-000000000"} {
		r := h.do(t, http.MethodPost, base+"?token="+url.QueryEscape(wrong), bytes.NewReader(jobAdded(t, "job_wrong")), nil)
		wantError(t, r, http.StatusUnauthorized, codeUnauthorized)
	}
}

func TestTokenListValidation(t *testing.T) {
	t.Parallel()
	cases := map[string]string{
		"":                                  "at least one token",
		" , ":                               "at least one token",
		oldToken + ",short":                 "token 2 must be at least 16 characters",
		oldToken + "," + oldToken:           "token 2 is given twice",
		oldToken + ",has/a-slash-in-itxxxx": "token 2 must not contain",
	}
	for list, want := range cases {
		cfg := newHarnessConfig()
		cfg.Token = list
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("tokens %q: %v, want an error saying %q", list, err, want)
			continue
		}
		for _, tok := range SplitTokens(list) {
			if len(tok) >= 16 && strings.Contains(err.Error(), tok) {
				t.Errorf("the error %q quotes a token", err)
			}
		}
	}
}

// TestSourceHeaderAndCloudEventsSource: the token decides the source; its
// name is the hirebridge-source header, its URI the CloudEvents source,
// its strict setting applies, on events and dead letters alike.
func TestSourceHeaderAndCloudEventsSource(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withConfig(func(c *Config) {
		c.Sources = []Source{
			{Name: "acme", Tokens: []string{oldToken}, EventSource: "https://acme.hirempire.com"},
			{Name: "globex", Tokens: []string{newToken, testToken}, EventSource: "https://globex.hirempire.com", Strict: true},
		}
	}))
	base := h.web.URL + testPath + "/"
	r := h.do(t, http.MethodPost, base+oldToken, bytes.NewReader(jobAdded(t, "job_acme")), nil)
	wantOutcome(t, r, "published")
	r = h.do(t, http.MethodPost, base+newToken, bytes.NewReader(jobAdded(t, "job_globex")), nil)
	wantOutcome(t, r, "published")

	for _, m := range h.messages(t, testPrefix+".job_added") {
		src := header(t, m, events.HeaderSource)
		wantURI := map[string]string{"acme": "https://acme.hirempire.com", "globex": "https://globex.hirempire.com"}[src]
		if wantURI == "" {
			t.Errorf("%s %q, want acme or globex", events.HeaderSource, src)
		}
		if got := header(t, m, events.NATS.Source); got != wantURI {
			t.Errorf("source %s: ce-source %q, want %q", src, got, wantURI)
		}
		if want := map[string]string{"acme": "job_acme", "globex": "job_globex"}[src]; !bytes.Contains(m.Data, []byte(want)) {
			t.Errorf("the message of %s holds %s, not %s", src, m.Data, want)
		}
	}

	// An undocumented type: accepted from acme, refused by strict globex,
	// whose dead letter says it is globex's.
	other := []byte(`{"event":"candidate_hired","timestamp":"2026-01-30T00:14:56Z"}`)
	r = h.do(t, http.MethodPost, base+oldToken, bytes.NewReader(other), nil)
	wantOutcome(t, r, "published")
	before := len(h.messages(t, dlq))
	r = h.do(t, http.MethodPost, base+testToken, bytes.NewReader(other), nil)
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("an undocumented type from a strict source: %d %s, want 422", r.status, r.body)
	}
	letters := h.messages(t, dlq)
	if len(letters) != before+1 {
		t.Fatalf("%d dead letters, want %d", len(letters), before+1)
	}
	if got := header(t, h.only(t, testPrefix+".candidate_hired"), events.HeaderSource); got != "acme" {
		t.Errorf("the undocumented event's %s %q, want acme", events.HeaderSource, got)
	}
	if got := header(t, letters[len(letters)-1], events.HeaderSource); got != "globex" {
		t.Errorf("the dead letter's %s %q, want globex", events.HeaderSource, got)
	}
}

// TestDefaultSourceHeader: with HIREBRIDGE_WEBHOOK_TOKEN alone, messages
// carry hirebridge-source: default.
func TestDefaultSourceHeader(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	wantOutcome(t, h.post(t, jobAdded(t, "job_default")), "published")
	if got := header(t, h.only(t, testPrefix+".job_added"), events.HeaderSource); got != DefaultSourceName {
		t.Errorf("%s %q, want %q", events.HeaderSource, got, DefaultSourceName)
	}
}

// TestSetSources: a new set applies to the next request; a set that does
// not validate is refused and the current one kept.
func TestSetSources(t *testing.T) {
	t.Parallel()
	h := newHarness(t, withoutBroker())
	base := h.web.URL + testPath + "/"
	status := func(tok string) int {
		return h.do(t, http.MethodPost, base+tok, bytes.NewReader(jobAdded(t, "job_set")), nil).status
	}
	if err := h.handler.SetSources([]Source{{Name: "acme", Tokens: []string{newToken}, EventSource: testSource}}); err != nil {
		t.Fatal(err)
	}
	if s, o := status(newToken), status(testToken); s != http.StatusOK || o != http.StatusUnauthorized {
		t.Errorf("after the swap: new token %d, removed token %d; want 200 and 401", s, o)
	}
	bad := [][]Source{
		nil,
		{{Name: "Acme", Tokens: []string{oldToken}, EventSource: testSource}},
		{{Name: "acme", EventSource: testSource}},
		{{Name: "a", Tokens: []string{oldToken}, EventSource: testSource}, {Name: "a", Tokens: []string{newToken}, EventSource: testSource}},
		{{Name: "a", Tokens: []string{oldToken}, EventSource: testSource}, {Name: "b", Tokens: []string{oldToken}, EventSource: testSource}},
	}
	for _, srcs := range bad {
		if err := h.handler.SetSources(srcs); err == nil {
			t.Errorf("SetSources(%+v) took it", srcs)
		}
	}
	if s := status(newToken); s != http.StatusOK {
		t.Errorf("after refused sets: %d, want the last good set kept", s)
	}
}
