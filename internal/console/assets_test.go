package console

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// unreachable is a console whose broker cannot be reached.
func unreachable(t *testing.T) *httptest.Server {
	t.Helper()
	c := New(Config{
		Broker:   func() (Broker, error) { return nil, errors.New("not connected to the broker yet") },
		Gatherer: prometheus.NewRegistry(),
		Sink:     "nats",
		Loopback: true,
	})
	srv := httptest.NewServer(c)
	t.Cleanup(func() {
		srv.Close()
		c.Close()
	})
	return srv
}

// The page and its files, with their types and a strict policy.
func TestAssets(t *testing.T) {
	srv := unreachable(t)
	for path, ct := range map[string]string{
		"/":                  "text/html; charset=utf-8",
		"/index.html":        "text/html; charset=utf-8",
		"/console.js":        "text/javascript; charset=utf-8",
		"/console.css":       "text/css; charset=utf-8",
		"/assets/console.js": "text/javascript; charset=utf-8",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != ct || len(body) == 0 {
			t.Errorf("GET %s: %d %q, %d bytes", path, resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'self'") || strings.Contains(csp, "unsafe") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
	}
	for _, path := range []string{"/nope.js", "/assets/", "/../go.mod"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d", path, resp.StatusCode)
		}
	}
}

// A broker that cannot be reached is a 503 in the webhook's shape, at
// once; the status still answers; unknown endpoints are a JSON 404.
func TestBrokerUnreachable(t *testing.T) {
	srv := unreachable(t)
	for _, req := range [][2]string{
		{"GET", "/api/v1/events"}, {"GET", "/api/v1/events/x"}, {"GET", "/api/v1/deadletters"},
		{"POST", "/api/v1/deadletters/x/replay"}, {"POST", "/api/v1/deadletters/x/resolve"},
	} {
		r, _ := http.NewRequest(req[0], srv.URL+req[1], nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), `"error":"broker_unavailable"`) ||
			!strings.Contains(string(body), "not connected") || resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("%s %s: %d %s", req[0], req[1], resp.StatusCode, body)
		}
	}
	resp, err := http.Get(srv.URL + "/api/v1/status")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"spool":{"on":false}`) ||
		!strings.Contains(string(body), `"series":[]`) || !strings.Contains(string(body), `"p50_ms":null`) {
		t.Errorf("status: %d %s", resp.StatusCode, body)
	}
	for _, req := range [][2]string{{"POST", "/api/v1/status"}, {"GET", "/api/v1/deadletters/x/replay"}, {"DELETE", "/api/v1/events/x"}} {
		r, _ := http.NewRequest(req[0], srv.URL+req[1], nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") == "" || !strings.Contains(string(body), `"error":"method_not_allowed"`) {
			t.Errorf("%s %s: %d %s", req[0], req[1], resp.StatusCode, body)
		}
	}
	resp, err = http.Get(srv.URL + "/api/v1/nope")
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error":"not_found"`) {
		t.Errorf("unknown endpoint: %d %s", resp.StatusCode, body)
	}
}
