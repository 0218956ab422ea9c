package console

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// The token rule: off loopback the token is needed, and refused outright
// while unset; on loopback none is needed, but a wrong one is refused.
func TestTokenRule(t *testing.T) {
	const token = "admin-token-0123456789"
	for _, tc := range []struct {
		name     string
		loopback bool
		token    string
		auth     string
		want     int
		code     string
	}{
		{"loopback, unset, none", true, "", "", 0, ""},
		{"loopback, unset, any presented", true, "", "Bearer whatever", 0, ""},
		{"loopback, set, none", true, token, "", 0, ""},
		{"loopback, set, right", true, token, "Bearer " + token, 0, ""},
		{"loopback, set, wrong", true, token, "Bearer nope", http.StatusUnauthorized, codeUnauthorized},
		{"loopback, set, not bearer", true, token, "Basic " + token, http.StatusUnauthorized, codeUnauthorized},
		{"off, unset, none", false, "", "", http.StatusForbidden, codeTokenRequired},
		{"off, unset, presented", false, "", "Bearer " + token, http.StatusForbidden, codeTokenRequired},
		{"off, set, none", false, token, "", http.StatusUnauthorized, codeUnauthorized},
		{"off, set, wrong", false, token, "Bearer " + token + "x", http.StatusUnauthorized, codeUnauthorized},
		{"off, set, prefix", false, token, "Bearer " + token[:10], http.StatusUnauthorized, codeUnauthorized},
		{"off, set, right", false, token, "Bearer " + token, 0, ""},
		{"off, set, right, scheme in lower case", false, token, "bearer " + token, 0, ""},
	} {
		c := &Console{cfg: Config{Token: tc.token, Loopback: tc.loopback}}
		r := httptest.NewRequest("POST", "http://127.0.0.1:9090/api/v1/deadletters/x/resolve", nil)
		if tc.auth != "" {
			r.Header.Set("Authorization", tc.auth)
		}
		status, code, detail := c.tokenRule(r)
		if status != tc.want || code != tc.code || (status != 0 && detail == "") {
			t.Errorf("%s: %d %s %q, want %d %s", tc.name, status, code, detail, tc.want, tc.code)
		}
	}
}

// On loopback, a request naming another host (DNS rebinding) counts as
// from off the machine.
func TestTokenRuleHost(t *testing.T) {
	for host, want := range map[string]int{
		"localhost:9090": 0, "127.0.0.1:9090": 0, "[::1]:9090": 0, "app.localhost:9090": 0, "LOCALHOST.": 0, "127.0.0.1": 0,
		"evil.example:9090": http.StatusForbidden, "10.0.0.1:9090": http.StatusForbidden, "": http.StatusForbidden,
	} {
		c := &Console{cfg: Config{Loopback: true}}
		r := httptest.NewRequest("POST", "/api/v1/deadletters/x/resolve", nil)
		r.Host = host
		if status, code, _ := c.tokenRule(r); status != want || (status != 0 && code != codeTokenRequired) {
			t.Errorf("Host %q: %d %s, want %d", host, status, code, want)
		}
	}
	// With the token, any host.
	c := &Console{cfg: Config{Loopback: true, Token: "admin-token-0123456789"}}
	r := httptest.NewRequest("POST", "/api/v1/deadletters/x/resolve", nil)
	r.Host = "evil.example"
	if status, _, _ := c.tokenRule(r); status != http.StatusUnauthorized {
		t.Errorf("another host without the token: %d", status)
	}
	r.Header.Set("Authorization", "Bearer admin-token-0123456789")
	if status, _, _ := c.tokenRule(r); status != 0 {
		t.Errorf("another host with the token: %d", status)
	}
}

func TestAcceptedBody(t *testing.T) {
	for _, tc := range []struct {
		ct, body string
		want     bool
	}{
		{"", "", true},
		{"", "note=x", false},
		{"application/json", `{"note":"x"}`, true},
		{"application/json; charset=utf-8", `{}`, true},
		{"application/x-www-form-urlencoded", "note=x", true},
		{"text/plain", "note=x", false},
		{"multipart/form-data; boundary=x", "", false},
		{"application/json;;", "{}", false},
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
		if tc.ct != "" {
			r.Header.Set("Content-Type", tc.ct)
		}
		if got := acceptedBody(r); got != tc.want {
			t.Errorf("%q with %q: %v, want %v", tc.ct, tc.body, got, tc.want)
		}
	}
}

func TestLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9090": true, "127.3.4.5:1": true, "[::1]:9090": true, "localhost:9090": true,
		"0.0.0.0:9090": false, "[::]:9090": false, ":9090": false, "10.0.0.1:9090": false, "example.com:9090": false,
	} {
		if got := Loopback(fakeAddr(addr)); got != want {
			t.Errorf("%s: %v, want %v", addr, got, want)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:0": true, "0.0.0.0:0": false} {
		tcp, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := Loopback(tcp); got != want {
			t.Errorf("TCP %s: %v, want %v", addr, got, want)
		}
	}
}

type fakeAddr string

func (a fakeAddr) Network() string { return "tcp" }
func (a fakeAddr) String() string  { return string(a) }

func TestInstant(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for v, want := range map[string]time.Time{
		"":                            {},
		"15m":                         now.Add(-15 * time.Minute),
		"2h":                          now.Add(-2 * time.Hour),
		"2026-01-01T00:00:00Z":        time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		"2026-01-01T00:00:00.5+01:00": time.Date(2025, 12, 31, 23, 0, 0, 5e8, time.UTC),
	} {
		got, err := instant(map[string][]string{"since": {v}}, "since", now)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q: %v %v, want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"yesterday", "-5m", "0s", "2026-01-01"} {
		if _, err := instant(map[string][]string{"since": {v}}, "since", now); err == nil || !strings.Contains(err.Error(), "since") {
			t.Errorf("%q: %v, want an error naming since", v, err)
		}
	}
}
