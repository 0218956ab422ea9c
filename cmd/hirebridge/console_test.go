package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// testAdminToken is the admin token of the tests that set one.
const testAdminToken = "admin-token-0123456789abcdef"

// apiAnswer is one answer of the console's API.
type apiAnswer struct {
	Status int
	Header http.Header
	Raw    []byte
}

// decode decodes the answer into v, failing the test when it is no JSON.
func (a apiAnswer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.Raw, v); err != nil {
		t.Fatalf("answer %d %q: %v", a.Status, a.Raw, err)
	}
}

// errorCode is the code of a JSON error answer.
func (a apiAnswer) errorCode(t *testing.T) string {
	t.Helper()
	var e struct{ Error, Detail string }
	a.decode(t, &e)
	if e.Detail == "" {
		t.Errorf("error %q without a detail", e.Error)
	}
	return e.Error
}

// api sends one request to the console's API; header is pairs of names
// and values.
func api(t *testing.T, method, url, contentType, body string, header ...string) apiAnswer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return apiAnswer{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
}

// mustAPI is api expecting status want.
func mustAPI(t *testing.T, want int, method, url, contentType, body string, header ...string) apiAnswer {
	t.Helper()
	a := api(t, method, url, contentType, body, header...)
	if a.Status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, a.Status, a.Raw, want)
	}
	return a
}

type apiEventList struct {
	Events []struct {
		ID, Type, Subject, Source, Time, Topic string
		StoredAt                               string `json:"stored_at"`
		HirebridgeSource                       string `json:"hirebridge_source"`
	}
	Scanned   int
	ScanLimit int `json:"scan_limit"`
	Truncated bool
	More      bool
}

func apiListEvents(t *testing.T, svc *service, query string) apiEventList {
	t.Helper()
	var l apiEventList
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/events?"+query, "", "").decode(t, &l)
	return l
}

type apiDeadLetterList struct {
	DeadLetters []struct {
		ID, Reason, Detail string
		StoredAt           string `json:"stored_at"`
		Resolved           *struct {
			At   string `json:"resolved_at"`
			By   string `json:"resolved_by"`
			Note string
		}
	}
	Reasons []struct {
		Reason string
		Count  int
	}
	Scanned int
}

func apiListDeadLetters(t *testing.T, svc *service, query string) apiDeadLetterList {
	t.Helper()
	var l apiDeadLetterList
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/deadletters?"+query, "", "").decode(t, &l)
	return l
}

// consoleReplay replays the dead letter id through the API.
func consoleReplay(t *testing.T, svc *service, id string, dryRun bool) replay.Result {
	t.Helper()
	u := svc.admin + "/api/v1/deadletters/" + id + "/replay"
	if dryRun {
		u += "?dry_run=true"
	}
	var res replay.Result
	mustAPI(t, http.StatusOK, "POST", u, "", "").decode(t, &res)
	return res
}

// apiLiveFeed reads the console's live feed: each event's data, decoded.
type apiLiveFeed struct {
	events chan map[string]any
	cancel context.CancelFunc
	done   chan struct{}
}

func openAPILive(t *testing.T, svc *service) *apiLiveFeed {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", svc.admin+"/api/v1/events/live", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		cancel()
		t.Fatalf("live feed: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	f := &apiLiveFeed{events: make(chan map[string]any, 100), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		event := ""
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: ") && event == "event":
				var m map[string]any
				if json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &m) == nil {
					f.events <- m
				}
			}
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *apiLiveFeed) close() {
	f.cancel()
	<-f.done
}

// next is the next event on the feed, within 5 s.
func (f *apiLiveFeed) next(t *testing.T) map[string]any {
	t.Helper()
	select {
	case m := <-f.events:
		return m
	case <-time.After(5 * time.Second):
		t.Fatal("the live feed sent nothing within 5s")
		return nil
	}
}

// The console's API on NATS: search events every way, one event with its
// body, dead letters by reason and status, resolve, replay (dry run,
// published, already published), and the live feed.
func TestConsoleNATS(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)

	// The page, with its policy.
	page := mustAPI(t, http.StatusOK, "GET", svc.admin+"/", "", "")
	if ct := page.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("GET /: Content-Type %q", ct)
	}
	if csp := page.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("GET /: Content-Security-Policy %q", csp)
	}

	live := openAPILive(t, svc)
	ids := map[string]string{} // event name → id
	for name, body := range examples(t) {
		r := mustPost(t, svc.webhookURL(), body)
		if r.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", name, r.Status, r.Raw)
		}
		ids[name] = r.Body.ID
	}
	// The live feed sees each, newest last.
	seen := map[string]bool{}
	for range ids {
		m := live.next(t)
		if m["dead_letter"] != false || m["id"] == "" || m["stored_at"] == "" || m["body"] != nil {
			t.Errorf("live item %v", m)
		}
		seen[m["id"].(string)] = true
	}
	for name, id := range ids {
		if !seen[id] {
			t.Errorf("the live feed did not send %s (%s)", name, id)
		}
	}

	all := apiListEvents(t, svc, "")
	if len(all.Events) != len(ids) || all.Scanned != len(ids) || all.Truncated || all.ScanLimit != 100000 || all.More {
		t.Fatalf("all events: %d events, scanned %d, truncated %v, more %v, scan limit %d; want %d", len(all.Events), all.Scanned, all.Truncated, all.More, all.ScanLimit, len(ids))
	}
	for i := 1; i < len(all.Events); i++ {
		if all.Events[i].StoredAt > all.Events[i-1].StoredAt {
			t.Errorf("not newest first: %s after %s", all.Events[i].StoredAt, all.Events[i-1].StoredAt)
		}
	}
	applied := ids["applicant_applied"]
	byID := apiListEvents(t, svc, "id="+applied)
	if len(byID.Events) != 1 || byID.Events[0].ID != applied || byID.Events[0].Type != "applicant_applied" ||
		byID.Events[0].Topic != "hirempire.applicant_applied" || byID.Events[0].Source == "" || byID.Events[0].HirebridgeSource != "default" {
		t.Fatalf("by id: %+v", byID.Events)
	}
	subject := byID.Events[0].Subject
	if subject == "" {
		t.Fatal("the event has no subject")
	}
	bySubject := apiListEvents(t, svc, "subject="+url.QueryEscape(subject))
	for _, e := range bySubject.Events {
		if e.Subject != subject {
			t.Errorf("by subject %s: %+v", subject, e)
		}
	}
	if len(bySubject.Events) == 0 {
		t.Error("nothing by subject")
	}
	byType := apiListEvents(t, svc, "type=job_added")
	if len(byType.Events) != 1 || byType.Events[0].ID != ids["job_added"] {
		t.Errorf("by type: %+v", byType.Events)
	}
	if l := apiListEvents(t, svc, "limit=1"); len(l.Events) != 1 || !l.More {
		t.Errorf("limit=1: %d events, more %v", len(l.Events), l.More)
	}
	if l := apiListEvents(t, svc, "since=1m"); len(l.Events) != len(ids) {
		t.Errorf("since=1m: %d events", len(l.Events))
	}
	if l := apiListEvents(t, svc, "since="+time.Now().Add(time.Hour).UTC().Format(time.RFC3339)); len(l.Events) != 0 {
		t.Errorf("since an hour from now: %d events", len(l.Events))
	}
	if a := api(t, "GET", svc.admin+"/api/v1/events?limit=501", "", ""); a.Status != http.StatusBadRequest || a.errorCode(t) != "bad_request" {
		t.Errorf("limit=501: %d %s", a.Status, a.Raw)
	}
	if a := api(t, "GET", svc.admin+"/api/v1/events?since=yesterday", "", ""); a.Status != http.StatusBadRequest {
		t.Errorf("since=yesterday: %d %s", a.Status, a.Raw)
	}

	// One event, with its body, never cached.
	one := mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/events/"+applied, "", "")
	if cc := one.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("one event: Cache-Control %q", cc)
	}
	var ev struct {
		ID, Topic  string
		Headers    map[string]string
		Body       json.RawMessage
		DeadLetter bool `json:"dead_letter"`
	}
	one.decode(t, &ev)
	if ev.ID != applied || ev.Headers["ce-type"] != "com.hirempire.applicant_applied" || ev.Headers["ce-id"] != applied || ev.DeadLetter {
		t.Errorf("one event: %s", one.Raw)
	}
	var body map[string]any
	if err := json.Unmarshal(ev.Body, &body); err != nil || body["event"] != "applicant_applied" {
		t.Errorf("one event's body: %s (%v)", ev.Body, err)
	}
	if a := api(t, "GET", svc.admin+"/api/v1/events/nope", "", ""); a.Status != http.StatusNotFound || a.errorCode(t) != "not_found" {
		t.Errorf("unknown id: %d %s", a.Status, a.Raw)
	}

	// Dead letters, grouped by reason.
	postRejected(t, svc, unknownFirst, "unknown_event_type")
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	postRejected(t, svc, unknownSecond, "unknown_event_type")
	dl := live.next(t)
	if dl["dead_letter"] != true || dl["reason"] != "unknown_event_type" || !strings.HasPrefix(dl["id"].(string), "dlq-") {
		t.Errorf("live dead letter: %v", dl)
	}
	if l := apiListEvents(t, svc, ""); len(l.Events) != len(ids) {
		t.Errorf("the events list has %d, want the %d events without the dead letters", len(l.Events), len(ids))
	}
	open := apiListDeadLetters(t, svc, "")
	if len(open.DeadLetters) != 3 || len(open.Reasons) != 2 || open.Reasons[0].Reason != "unknown_event_type" || open.Reasons[0].Count != 2 ||
		open.Reasons[1].Reason != "invalid_timestamp" || open.Reasons[1].Count != 1 {
		t.Fatalf("open dead letters: %+v", open)
	}
	if dl["id"] != open.DeadLetters[2].ID {
		t.Errorf("the live feed's dead letter %v is not the oldest listed, %s", dl["id"], open.DeadLetters[2].ID)
	}
	for _, d := range open.DeadLetters {
		if d.Resolved != nil || d.Detail == "" || d.StoredAt == "" {
			t.Errorf("open dead letter %+v", d)
		}
	}
	if l := apiListDeadLetters(t, svc, "reason=invalid_timestamp"); len(l.DeadLetters) != 1 || len(l.Reasons) != 2 {
		t.Errorf("reason=invalid_timestamp: %+v", l)
	}
	badID := apiListDeadLetters(t, svc, "reason=invalid_timestamp").DeadLetters[0].ID
	// A dead letter is found by id too, as one event.
	var dlq struct {
		DeadLetter bool `json:"dead_letter"`
		Body       json.RawMessage
		Resolved   *json.RawMessage
	}
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/events/"+badID, "", "").decode(t, &dlq)
	if !dlq.DeadLetter || !strings.Contains(string(dlq.Body), "yesterday") {
		t.Errorf("the dead letter by id: %+v", dlq)
	}

	// Resolve one: a JSON note; then a form; an unknown id is 404.
	var res struct {
		ID       string
		Resolved struct {
			At   string `json:"resolved_at"`
			By   string `json:"resolved_by"`
			Note string
		}
	}
	mustAPI(t, http.StatusOK, "POST", svc.admin+"/api/v1/deadletters/"+badID+"/resolve", "application/json", `{"note":"sender fixed"}`).decode(t, &res)
	if res.ID != badID || res.Resolved.By != "console" || res.Resolved.Note != "sender fixed" || res.Resolved.At == "" {
		t.Errorf("resolve: %+v", res)
	}
	if a := api(t, "POST", svc.admin+"/api/v1/deadletters/dlq-nope/resolve", "", ""); a.Status != http.StatusNotFound || a.errorCode(t) != "not_found" {
		t.Errorf("resolving an unknown dead letter: %d %s", a.Status, a.Raw)
	}
	if l := apiListDeadLetters(t, svc, "status=open"); len(l.DeadLetters) != 2 || len(l.Reasons) != 1 || l.Reasons[0].Count != 2 {
		t.Errorf("open after resolving one: %+v", l)
	}
	resolved := apiListDeadLetters(t, svc, "status=resolved")
	if len(resolved.DeadLetters) != 1 || resolved.DeadLetters[0].ID != badID || resolved.DeadLetters[0].Resolved == nil ||
		resolved.DeadLetters[0].Resolved.Note != "sender fixed" {
		t.Errorf("resolved: %+v", resolved)
	}
	if l := apiListDeadLetters(t, svc, "status=all"); len(l.DeadLetters) != 3 {
		t.Errorf("all: %+v", l)
	}
	mustAPI(t, http.StatusOK, "POST", svc.admin+"/api/v1/deadletters/"+badID+"/resolve", "application/x-www-form-urlencoded", "note=again")
	if l := apiListDeadLetters(t, svc, "status=resolved"); len(l.DeadLetters) != 1 || l.DeadLetters[0].Resolved.Note != "again" {
		t.Errorf("resolved again by a form: %+v", l)
	}

	// Replay: strict mode rejects the undocumented type still.
	unknownID := apiListDeadLetters(t, svc, "reason=unknown_event_type").DeadLetters[1].ID
	if r := consoleReplay(t, svc, unknownID, true); r.Outcome != replay.Rejected || r.ID != unknownID {
		t.Errorf("dry run under strict mode: %+v", r)
	}
	if a := api(t, "POST", svc.admin+"/api/v1/deadletters/dlq-nope/replay?dry_run=true", "", ""); a.Status != http.StatusNotFound {
		t.Errorf("replaying an unknown dead letter: %d %s", a.Status, a.Raw)
	}

	// The chart counts this process's events.
	var st struct {
		Sink, Where string
		Broker      struct{ Status string }
		Spool       struct{ On bool }
		Window      struct {
			Steps  int
			Series []struct {
				Type, Outcome string
				Counts        []int
			}
		}
		Latency struct {
			P50 *float64 `json:"p50_ms"`
			P99 *float64 `json:"p99_ms"`
		}
	}
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/status", "", "").decode(t, &st)
	if st.Sink != "nats" || !strings.Contains(st.Where, "HIREMPIRE") || st.Broker.Status != "ready" || st.Spool.On || st.Window.Steps != 15 {
		t.Errorf("status: %+v", st)
	}
	if st.Latency.P50 == nil || st.Latency.P99 == nil || *st.Latency.P99 < *st.Latency.P50 || *st.Latency.P50 <= 0 {
		t.Errorf("latency: %+v", st.Latency)
	}
	counted := map[string]int{}
	for _, s := range st.Window.Series {
		if len(s.Counts) != 15 {
			t.Errorf("series %s/%s has %d steps", s.Type, s.Outcome, len(s.Counts))
		}
		for _, n := range s.Counts {
			counted[s.Outcome] += n
		}
	}
	if counted["published"] != len(ids) || counted["rejected"] != 3 {
		t.Errorf("the window counts %v; want %d published, 3 rejected", counted, len(ids))
	}

	// Strict mode off, a new service on the same broker replays it.
	live.close()
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	env = withEnv(env, "HIREBRIDGE_STRICT", "false", "HIREBRIDGE_DATA_DIR", t.TempDir())
	svc = startService(t, env)
	if r := consoleReplay(t, svc, unknownID, true); r.Outcome != replay.WouldPublish || r.Event != "candidate_rated" {
		t.Errorf("dry run: %+v", r)
	}
	first := consoleReplay(t, svc, unknownID, false)
	if first.Outcome != replay.Published || first.EventID == "" {
		t.Fatalf("replay: %+v", first)
	}
	if r := consoleReplay(t, svc, unknownID, false); r.Outcome != replay.AlreadyPublished {
		t.Errorf("replay again: %+v", r)
	}
	if l := apiListEvents(t, svc, "id="+first.EventID); len(l.Events) != 1 || l.Events[0].Type != "candidate_rated" {
		t.Errorf("the replayed event: %+v", l.Events)
	}
	// The mark set by the first service is on the broker.
	if l := apiListDeadLetters(t, svc, "status=resolved"); len(l.DeadLetters) != 1 || l.DeadLetters[0].ID != badID {
		t.Errorf("resolved, seen by the next service: %+v", l)
	}
}

// The console and its API are on the admin listener only.
func TestConsoleNotOnWebhookListener(t *testing.T) {
	t.Parallel()
	svc := startService(t, baseEnv(t, ""))
	for _, path := range []string{"/", "/console.js", "/api/v1/status", "/api/v1/events", "/api/v1/deadletters", "/api/v1/events/live"} {
		if a := api(t, "GET", svc.web+path, "", ""); a.Status != http.StatusNotFound {
			t.Errorf("GET %s on the webhook listener: %d", path, a.Status)
		}
	}
	if a := api(t, "POST", svc.web+"/api/v1/deadletters/dlq-x/resolve", "", ""); a.Status != http.StatusNotFound {
		t.Errorf("POST on the webhook listener: %d", a.Status)
	}
	// The embedded default: the API reads it.
	if l := apiListEvents(t, svc, ""); len(l.Events) != 0 {
		t.Errorf("events on a new store: %+v", l)
	}
}

// Actions are refused from another site, in other content types, and off
// loopback without the admin token.
func TestConsoleSafety(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	loop := startService(t, baseEnv(t, broker.URL()))
	resolve := "/api/v1/deadletters/dlq-none/resolve"

	a := api(t, "POST", loop.admin+resolve, "", "", "Sec-Fetch-Site", "cross-site")
	if a.Status != http.StatusForbidden || a.errorCode(t) != "cross_origin" {
		t.Errorf("cross-site POST: %d %s", a.Status, a.Raw)
	}
	a = api(t, "POST", loop.admin+resolve, "application/json", "{}", "Origin", "https://evil.example")
	if a.Status != http.StatusForbidden || a.errorCode(t) != "cross_origin" {
		t.Errorf("POST from another origin: %d %s", a.Status, a.Raw)
	}
	a = api(t, "POST", loop.admin+resolve, "text/plain", "note=x")
	if a.Status != http.StatusUnsupportedMediaType || a.errorCode(t) != "unsupported_media_type" {
		t.Errorf("text/plain POST: %d %s", a.Status, a.Raw)
	}
	// On loopback without a token: allowed (no such dead letter).
	if a := api(t, "POST", loop.admin+resolve, "", "", "Sec-Fetch-Site", "same-origin"); a.Status != http.StatusNotFound {
		t.Errorf("same-origin POST on loopback: %d %s", a.Status, a.Raw)
	}

	// Off loopback, no token set: refused, saying why.
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_ADMIN_ADDR"] = "0.0.0.0:0"
	open := startService(t, env)
	open.admin = viaLoopback(t, open.admin)
	if !strings.Contains(open.logs.String(), "HIREBRIDGE_ADMIN_TOKEN is unset") {
		t.Error("no warning at start that the console's actions are refused")
	}
	for _, req := range [][2]string{{"POST", resolve}, {"POST", "/api/v1/deadletters/dlq-none/replay?dry_run=true"}, {"GET", "/api/v1/events/some-id"}} {
		a := api(t, req[0], open.admin+req[1], "", "")
		if a.Status != http.StatusForbidden || a.errorCode(t) != "admin_token_required" || !strings.Contains(string(a.Raw), "HIREBRIDGE_ADMIN_TOKEN") {
			t.Errorf("%s %s off loopback without a token set: %d %s", req[0], req[1], a.Status, a.Raw)
		}
	}
	// Reading lists needs no token.
	mustAPI(t, http.StatusOK, "GET", open.admin+"/api/v1/events", "", "")
	mustAPI(t, http.StatusOK, "GET", open.admin+"/api/v1/status", "", "")

	// Off loopback with a token: none or a wrong one is 401; the right
	// one passes.
	// The token from a file, as other secrets.
	tokenFile := filepath.Join(t.TempDir(), "admin-token")
	if err := os.WriteFile(tokenFile, []byte(testAdminToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = withEnv(env, "HIREBRIDGE_ADMIN_TOKEN_FILE", tokenFile)
	guarded := startService(t, env)
	guarded.admin = viaLoopback(t, guarded.admin)
	for _, auth := range []string{"", "Bearer wrong-token-0123456789", "Basic " + testAdminToken, testAdminToken} {
		a := api(t, "POST", guarded.admin+resolve, "", "", "Authorization", auth)
		if a.Status != http.StatusUnauthorized || a.errorCode(t) != "unauthorized" || a.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: %d %s", auth, a.Status, a.Raw)
		}
	}
	if a := api(t, "POST", guarded.admin+resolve, "", "", "Authorization", "Bearer "+testAdminToken); a.Status != http.StatusNotFound {
		t.Errorf("with the token: %d %s", a.Status, a.Raw)
	}
	if a := api(t, "GET", guarded.admin+"/api/v1/events/some-id", "", "", "Authorization", "Bearer "+testAdminToken); a.Status != http.StatusNotFound {
		t.Errorf("one event with the token: %d %s", a.Status, a.Raw)
	}

	// On loopback with a token set: none is needed, a wrong one is 401.
	env = withEnv(baseEnv(t, broker.URL()), "HIREBRIDGE_ADMIN_TOKEN", testAdminToken)
	loopToken := startService(t, env)
	if a := api(t, "POST", loopToken.admin+resolve, "", ""); a.Status != http.StatusNotFound {
		t.Errorf("on loopback without the token: %d %s", a.Status, a.Raw)
	}
	if a := api(t, "POST", loopToken.admin+resolve, "", "", "Authorization", "Bearer wrong"); a.Status != http.StatusUnauthorized {
		t.Errorf("on loopback with a wrong token: %d %s", a.Status, a.Raw)
	}
}

// A short admin token stops the start, naming the variable.
func TestConsoleShortToken(t *testing.T) {
	t.Parallel()
	env := withEnv(baseEnv(t, ""), "HIREBRIDGE_ADMIN_TOKEN", "short")
	err := serveCommand(context.Background(), environ(env), io.Discard, nil)
	if err == nil || !strings.Contains(err.Error(), "HIREBRIDGE_ADMIN_TOKEN") || !strings.Contains(err.Error(), "16") {
		t.Errorf("a short admin token: %v", err)
	}
}

// The live feed outlives the admin listener's write timeout
// (HIREBRIDGE_READ_TIMEOUT), which ends any other answer.
func TestConsoleLiveFeedOutlivesWriteTimeout(t *testing.T) {
	t.Parallel()
	svc := startService(t, withEnv(baseEnv(t, ""), "HIREBRIDGE_READ_TIMEOUT", "1s"))
	f := openAPILive(t, svc)
	time.Sleep(1500 * time.Millisecond)
	r := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	if m := f.next(t); m["id"] != r.Body.ID {
		t.Errorf("live after the write timeout: %v, want %s", m, r.Body.ID)
	}
}

// With the broker away, the API answers 503 in the webhook's shape within
// its timeout rather than hold the request, and the status says so.
func TestConsoleBrokerAway(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	svc := startService(t, baseEnv(t, broker.URL()))
	broker.Stop()
	for _, req := range [][2]string{{"GET", "/api/v1/events"}, {"GET", "/api/v1/events/x"}, {"GET", "/api/v1/deadletters"}, {"POST", "/api/v1/deadletters/x/resolve"}} {
		start := time.Now()
		a := api(t, req[0], svc.admin+req[1], "", "")
		if took := time.Since(start); took > 7*time.Second {
			t.Errorf("%s %s took %s with the broker away", req[0], req[1], took)
		}
		if a.Status != http.StatusServiceUnavailable || !strings.HasPrefix(a.errorCode(t), "broker_") {
			t.Errorf("%s %s with the broker away: %d %s", req[0], req[1], a.Status, a.Raw)
		}
	}
	var st struct {
		Broker struct{ Status, Detail string }
	}
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/status", "", "").decode(t, &st)
	if st.Broker.Status != "unavailable" || st.Broker.Detail == "" {
		t.Errorf("status with the broker away: %+v", st.Broker)
	}
	if a := api(t, "GET", svc.admin+"/api/v1/events/live", "", ""); a.Status != http.StatusServiceUnavailable {
		t.Errorf("live feed with the broker away: %d %s", a.Status, a.Raw)
	}
}

// The API logs one line per request at debug, and an action at info,
// never a body nor a query's entity key.
func TestConsoleLogsNoBodies(t *testing.T) {
	t.Parallel()
	svc := startService(t, withEnv(baseEnv(t, ""), "HIREBRIDGE_LOG_LEVEL", "debug"))
	r := mustPost(t, svc.webhookURL(), example(t, "applicant_applied.json"))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	one := mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/events/"+r.Body.ID, "", "")
	if !strings.Contains(string(one.Raw), "john.doe@example.com") {
		t.Fatalf("the body lacks the applicant's email: %s", one.Raw)
	}
	l := apiListEvents(t, svc, "subject=secret-entity-key")
	if len(l.Events) != 0 {
		t.Errorf("by an unknown subject: %+v", l)
	}
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	id := apiListDeadLetters(t, svc, "").DeadLetters[0].ID
	mustAPI(t, http.StatusOK, "POST", svc.admin+"/api/v1/deadletters/"+id+"/resolve", "application/json", `{"note":"a private note"}`)
	logs := svc.logs.String()
	for _, line := range []string{`"path":"/api/v1/events/` + r.Body.ID + `"`, `"message":"console request"`, `"dead_letter":"` + id + `"`} {
		if !strings.Contains(logs, line) {
			t.Errorf("the logs lack %s", line)
		}
	}
	for _, secret := range []string{"john.doe@example.com", "secret-entity-key", "a private note", "yesterday"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the logs hold %q", secret)
		}
	}
}

// viaLoopback is base (http://0.0.0.0:port) reached on 127.0.0.1.
func viaLoopback(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	return "http://" + net.JoinHostPort("127.0.0.1", u.Port())
}

// The service stops at once with a live feed open: the feed ends rather
// than hold the admin listener's shutdown.
func TestConsoleLiveFeedEndsAtShutdown(t *testing.T) {
	t.Parallel()
	svc := startService(t, baseEnv(t, ""))
	f := openAPILive(t, svc)
	start := time.Now()
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("shutdown took %s with a live feed open", took)
	}
	select {
	case <-f.done:
	case <-time.After(5 * time.Second):
		t.Error("the live feed did not end with the service")
	}
}

// With the spool on, the console reads the broker behind it.
func TestConsoleThroughSpool(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_SPOOL"] = "true"
	svc := startService(t, env)
	r := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	if l := apiListEvents(t, svc, "id="+r.Body.ID); len(l.Events) != 1 {
		t.Errorf("through the spool: %+v", l)
	}
	var st struct {
		Spool struct {
			On     bool
			Events *int
		}
	}
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/status", "", "").decode(t, &st)
	if !st.Spool.On || st.Spool.Events == nil || *st.Spool.Events != 0 {
		t.Errorf("spool: %+v", st.Spool)
	}
}

// The API on Kafka: list, one event, dead letters, resolve, replay and
// the live feed, through the service on kfake.
func TestConsoleKafka(t *testing.T) {
	t.Parallel()
	kb := kafkatest.Start(t)
	env := kafkaEnv(t, kb.Addr())
	env["HIREBRIDGE_STRICT"] = "true"
	svc := startService(t, env)
	r := mustPost(t, svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK {
		t.Fatalf("%d %s", r.Status, r.Raw)
	}
	live := openAPILive(t, svc)
	// The feed may still be finding where the partitions end, as tail
	// does: new events are posted until one shows.
	posted := 1
	for i := 0; ; i++ {
		body := bytes.Replace(example(t, "job_deleted.json"), []byte("job_wx01yz23ab45cd67ef"), []byte(fmt.Sprintf("job_new_%d", i)), 1)
		if r := mustPost(t, svc.webhookURL(), body); r.Status != http.StatusOK {
			t.Fatalf("POST: %d %s", r.Status, r.Raw)
		}
		posted++
		select {
		case m := <-live.events:
			if m["type"] != "job_deleted" || m["dead_letter"] != false {
				t.Errorf("live event on Kafka: %v", m)
			}
		case <-time.After(300 * time.Millisecond):
			if i < 30 {
				continue
			}
			t.Fatal("the live feed sent nothing of 30 new events")
		}
		break
	}
	postRejected(t, svc, unknownFirst, "unknown_event_type")
	if m := live.next(t); m["dead_letter"] != true || m["reason"] != "unknown_event_type" {
		t.Errorf("live dead letter on Kafka: %v", m)
	}
	l := apiListEvents(t, svc, "type=job_added")
	if len(l.Events) != 1 || l.Events[0].ID != r.Body.ID || l.Events[0].Type != "job_added" || l.Events[0].Topic != "hirempire.job_added" {
		t.Fatalf("events on Kafka: %+v", l)
	}
	if l := apiListEvents(t, svc, ""); len(l.Events) != posted {
		t.Errorf("%d events listed on Kafka, %d posted", len(l.Events), posted)
	}
	var ev struct {
		Headers map[string]string
		Body    map[string]any
	}
	mustAPI(t, http.StatusOK, "GET", svc.admin+"/api/v1/events/"+r.Body.ID, "", "").decode(t, &ev)
	if ev.Headers["ce-type"] != "com.hirempire.job_added" || ev.Body["event"] != "job_added" {
		t.Errorf("one event on Kafka: %+v", ev)
	}
	dls := apiListDeadLetters(t, svc, "")
	if len(dls.DeadLetters) != 1 || dls.DeadLetters[0].Reason != "unknown_event_type" {
		t.Fatalf("dead letters on Kafka: %+v", dls)
	}
	id := dls.DeadLetters[0].ID
	if res := consoleReplay(t, svc, id, true); res.Outcome != replay.Rejected {
		t.Errorf("dry run on Kafka: %+v", res)
	}
	mustAPI(t, http.StatusOK, "POST", svc.admin+"/api/v1/deadletters/"+id+"/resolve", "application/json", `{"note":"n"}`)
	if l := apiListDeadLetters(t, svc, ""); len(l.DeadLetters) != 0 {
		t.Errorf("open after resolving on Kafka: %+v", l)
	}
	if l := apiListDeadLetters(t, svc, "status=resolved"); len(l.DeadLetters) != 1 || l.DeadLetters[0].Resolved == nil {
		t.Errorf("resolved on Kafka: %+v", l)
	}
}
