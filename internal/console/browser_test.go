package console_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// browserNames are the names headless Chromium goes by: Debian's package
// chromium first.
var browserNames = []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "headless-shell"}

// browser is the path of a Chromium binary. Without one the test skips,
// saying so, unless HIREBRIDGE_REQUIRE_BROWSER is set (.ci/run sets it,
// after installing the package): then it fails.
func browser(t *testing.T) string {
	t.Helper()
	for _, name := range browserNames {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	msg := "no Chromium found (" + strings.Join(browserNames, ", ") + "): the console's browser test needs the Debian package chromium (.ci/run installs it)"
	if os.Getenv("HIREBRIDGE_REQUIRE_BROWSER") != "" {
		t.Fatal(msg + "; HIREBRIDGE_REQUIRE_BROWSER is set")
	}
	t.Skip(msg)
	return ""
}

// probe runs in the page before its own script: it records uncaught
// errors, Content-Security-Policy violations (an inline style or script
// the policy blocked) and any alert, which an injected script would call.
const probe = `window.__problems = [];
window.addEventListener("error", (e) => window.__problems.push("error: " + e.message));
window.addEventListener("unhandledrejection", (e) => window.__problems.push("unhandled rejection: " + e.reason));
document.addEventListener("securitypolicyviolation", (e) => window.__problems.push("CSP violation: " + e.violatedDirective + " " + e.blockedURI));
window.alert = (m) => window.__problems.push("alert: " + m);`

// adminToken is the console service's HIREBRIDGE_ADMIN_TOKEN.
const adminToken = "browser-test-admin-token-0123456789"

// xssName replaces the applicant's name in the event sent: markup that
// would run if the page ever put an event's content in as HTML.
const xssName = `<img src=x onerror="window.__problems.push('markup from an event ran')">`

// The console in a real browser (SPEC 12), through two services on one
// NATS server: "console", the one whose page the browser drives, and
// "strict", in strict mode, which dead-letters an undocumented type that
// the console's service (strict mode off) then replays. An event sent
// appears live, is found by id and opened; dead letters are grouped by
// reason, dry-run, replayed, and resolved out of the open list.
//
// HIREBRIDGE_SCREENSHOTS=<dir> writes the manual's screenshots there
// (console-events.png, console-event.png, console-deadletters.png):
//
//	HIREBRIDGE_SCREENSHOTS=$PWD/docs/images go test -count=1 -run TestConsoleInBrowser ./internal/console/
func TestConsoleInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the console in headless Chromium (two services and a browser, seconds)")
	}
	exe := browser(t)
	broker := natstest.Start(t)
	strict := servicetest.Start(t, map[string]string{"HIREBRIDGE_NATS_URL": broker.URL(), "HIREBRIDGE_STRICT": "true"})
	svc := servicetest.Start(t, map[string]string{"HIREBRIDGE_NATS_URL": broker.URL(), "HIREBRIDGE_STRICT": "false", "HIREBRIDGE_ADMIN_TOKEN": adminToken})
	examples := servicetest.Examples(t)

	ctx := newBrowser(t, exe)
	b := &tab{t: t, ctx: ctx}
	b.do(chromedp.Navigate(svc.Admin + "/"))
	b.wait("the live feed connected", `document.getElementById("live-state").textContent === "live"`)
	b.wait("the status shown", `document.getElementById("broker").textContent === "ready"`)

	// Events sent appear live, newest on top.
	applied := bytes.Replace(examples["applicant_applied"], []byte(`"John Doe"`), []byte(strconv.Quote(xssName)), 1)
	if bytes.Equal(applied, examples["applicant_applied"]) {
		t.Fatal("the applicant_applied example no longer names John Doe")
	}
	types := slices.Sorted(func(yield func(string) bool) {
		for k := range examples {
			if k != "applicant_applied" && !yield(k) {
				return
			}
		}
	})
	for _, name := range types {
		post(t, svc, examples[name], http.StatusOK)
	}
	id := post(t, svc, applied, http.StatusOK)
	b.wait("the event in the live list", `!!document.querySelector('#live-rows tr[data-id="`+id+`"]')`)
	if first := b.string(`document.querySelector("#live-rows tr").dataset.id`); first != id {
		t.Errorf("the newest event on top is %s, want %s", first, id)
	}
	if n := b.int(`document.querySelectorAll("#live-rows tr").length`); n != len(types)+1 {
		t.Errorf("%d events in the live list, want %d", n, len(types)+1)
	}
	// The chart counts them, by outcome, once the status is read again.
	b.wait("the chart's bars", `document.querySelectorAll("#chart rect.o-published").length > 0`)
	b.wait("the totals", `[...document.querySelectorAll("#totals tbody tr")].some((tr) => tr.textContent.includes("applicant_applied"))`)
	b.screenshot("console-events.png", "")

	// Found by id, and opened: headers and body, as text. The tab holds a
	// wrong admin token: on loopback none is needed, but one presented must
	// be right, so the page is answered 401, asks for the token, and tries
	// again with it.
	eval[chromedp.Void](b, `sessionStorage.setItem("hirebridge-admin-token", "not-the-admin-token-at-all")`)
	b.do(
		chromedp.SetValue(chromedp.CSS("#q-id"), id),
		chromedp.Click(chromedp.CSS(`#search-form button[type="submit"]`)),
	)
	b.wait("the search's answer", `!!document.querySelector('#search-rows tr[data-id="`+id+`"]')`)
	if note := b.string(`document.getElementById("search-note").textContent`); !strings.HasPrefix(note, "1 event among the newest") {
		t.Errorf("search note %q", note)
	}
	b.wait("the page asking for the admin token", `document.getElementById("token-dialog").open`)
	b.do(
		chromedp.SendKeys(chromedp.CSS("#token-input"), adminToken),
		chromedp.Click(chromedp.CSS(`#token-form button[type="submit"]`)),
	)
	b.wait("the event's headers", `document.querySelectorAll("#event-headers tr").length > 0`)
	b.wait("the event's body", `document.getElementById("event-body").textContent.includes("app_xyz789wvu654tsr321")`)
	if kept := b.string(`sessionStorage.getItem("hirebridge-admin-token") || ""`); kept != adminToken {
		t.Errorf("the tab keeps the token %q", kept)
	}
	headers := b.string(`document.getElementById("event-headers").textContent`)
	for _, want := range []string{"ce-type", "applicant_applied", "ce-id", id, "hirebridge-source"} {
		if !strings.Contains(headers, want) {
			t.Errorf("the headers shown lack %q: %s", want, headers)
		}
	}
	if body := b.string(`document.getElementById("event-body").textContent`); !strings.Contains(body, `"name": "<img src=x onerror=`) || !strings.Contains(body, "\n  ") {
		t.Errorf("the body is not shown pretty-printed, as text: %s", body)
	}
	if n := b.int(`document.querySelectorAll("#event-body *, #event img, #live img, #search img").length`); n != 0 {
		t.Errorf("the event's content made %d elements in the page", n)
	}
	b.screenshot("console-event.png", "#event")

	// Dead letters: a body that is not JSON (rejected again on replay), and
	// an undocumented type the strict service refused (published on replay
	// by this one, strict mode off).
	post(t, svc, []byte(`{"event": "applicant_applied", `), http.StatusBadRequest)
	rated := []byte(`{"event":"candidate_rated","timestamp":"2026-01-30T00:14:56.395Z","candidate":{"id":"cand_1","rating":4}}`)
	post(t, strict, rated, http.StatusUnprocessableEntity)
	// The live feed carries dead letters too, marked; once both are there
	// they are stored, and the list is read again.
	b.wait("both dead letters in the live list", `[...document.querySelectorAll("#live-rows tr.dl")].map((tr) => tr.textContent).join(" ").match(/invalid_json|unknown_event_type/g)?.length === 2`)
	b.do(chromedp.Click(chromedp.CSS(`#dl-form button[type="submit"]`)))
	invalid := `li.dl-item[data-reason="invalid_json"]`
	unknown := `li.dl-item[data-reason="unknown_event_type"]`
	b.wait("both dead letters listed", `!!document.querySelector('`+invalid+`') && !!document.querySelector('`+unknown+`')`)
	if reasons := b.string(`[...document.querySelectorAll("#dl-reason option")].map((o) => o.textContent).join(",")`); !strings.Contains(reasons, "invalid_json (1)") || !strings.Contains(reasons, "unknown_event_type (1)") {
		t.Errorf("the reasons offered: %s", reasons)
	}
	if detail := b.string(`document.querySelector('` + invalid + ` .detail').textContent`); detail == "" {
		t.Error("the invalid body's dead letter shows no detail")
	}
	if b.bool(`document.querySelector('` + unknown + ` .actions button:nth-of-type(2)').disabled === false`) {
		t.Error("Replay is enabled before a dry run")
	}

	// Dry run, then replay, the undocumented type.
	b.do(chromedp.Click(chromedp.CSS(unknown + ` .actions button:nth-of-type(1)`)))
	b.wait("the dry run's answer", `document.querySelector('`+unknown+` .outcome').textContent.startsWith("Dry run: would_publish as candidate_rated")`)
	b.wait("Replay enabled by the dry run", `document.querySelector('`+unknown+` .actions button:nth-of-type(2)').disabled === false`)
	b.do(chromedp.Click(chromedp.CSS(unknown + ` .actions button:nth-of-type(2)`)))
	b.wait("the replay's answer", `document.querySelector('`+unknown+` .outcome').textContent.startsWith("Replay: published as candidate_rated")`)

	// The body that is not JSON: the dry run says rejected, Replay stays
	// off; opened, its body is shown as the text it is.
	b.do(chromedp.Click(chromedp.CSS(invalid + ` .actions button:nth-of-type(1)`)))
	b.wait("the dry run's answer", `/^Dry run: (rejected|not_an_event)/.test(document.querySelector('`+invalid+` .outcome').textContent)`)
	if !b.bool(`document.querySelector('` + invalid + ` .actions button:nth-of-type(2)').disabled`) {
		t.Error("Replay enabled after a dry run that would not publish")
	}
	dlID := b.string(`document.querySelector('` + invalid + `').dataset.id`)
	b.do(chromedp.Click(chromedp.CSS(invalid + ` .dl-head button.link`)))
	b.wait("the dead letter opened", `document.getElementById("event-body").textContent === '{"event": "applicant_applied", '`)
	if kind := b.string(`document.getElementById("event-meta").textContent`); !strings.Contains(kind, "dead letter") {
		t.Errorf("the dead letter's meta: %s", kind)
	}
	b.screenshot("console-deadletters.png", "#deadletters")

	// Resolved with a note, it leaves the open list and is among the
	// resolved ones.
	b.do(
		chromedp.SendKeys(chromedp.CSS(invalid+` input`), "sender fixed"),
		chromedp.Click(chromedp.CSS(invalid+` .actions button:nth-of-type(3)`)),
	)
	b.wait("the resolved dead letter gone from the open list", `!document.querySelector('li.dl-item[data-id="`+dlID+`"]') && !!document.querySelector('`+unknown+`')`)
	b.do(chromedp.SetValue(chromedp.CSS("#dl-status"), "resolved"), chromedp.Click(chromedp.CSS(`#dl-form button[type="submit"]`)))
	b.wait("the dead letter among the resolved", `(document.querySelector('li.dl-item[data-id="`+dlID+`"] .tag.ok') || {}).textContent?.includes("by console: sender fixed")`)

	if problems := b.strings(`window.__problems`); len(problems) > 0 {
		t.Errorf("the page met problems: %q", problems)
	}
}

// newBrowser starts headless Chromium at 1280×800, the probe installed
// on every page; it ends with the test.
func newBrowser(t *testing.T, exe string) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.WindowSize(1280, 800),
		// Tests run as root in CI's containers, where Chromium's sandbox
		// cannot start.
		chromedp.NoSandbox,
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelTab := chromedp.NewContext(actx)
	timed, cancelTime := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTime()
		cancelTab()
		cancelAlloc()
	})
	if err := chromedp.Do(timed); err != nil {
		t.Fatalf("starting %s: %v", exe, err)
	}
	if _, err := chromedp.Call(timed, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: probe}); err != nil {
		t.Fatal(err)
	}
	return timed
}

// tab drives the browser's one tab for a test, failing it on an error.
type tab struct {
	t   *testing.T
	ctx context.Context
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

func eval[T any](b *tab, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

func (b *tab) string(expr string) string    { b.t.Helper(); return eval[string](b, expr) }
func (b *tab) int(expr string) int          { b.t.Helper(); return eval[int](b, expr) }
func (b *tab) bool(expr string) bool        { b.t.Helper(); return eval[bool](b, expr) }
func (b *tab) strings(expr string) []string { b.t.Helper(); return eval[[]string](b, expr) }

// wait polls the page until expr is true, for at most 15 s.
func (b *tab) wait(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !eval[bool](b, "Boolean("+expr+")") {
		if time.Now().After(deadline) {
			problems := eval[[]string](b, "window.__problems || []")
			notes := eval[string](b, `["error", "search-note", "dl-note"].map((id) => id + ": " + document.getElementById(id).textContent).join("\\n")`)
			b.t.Fatalf("waited 15s for %s: %s\n%s\npage problems: %q", what, expr, notes, problems)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// screenshot writes the viewport (1280×800), scrolled to the element
// selected (or the top), to HIREBRIDGE_SCREENSHOTS/name when that is set.
func (b *tab) screenshot(name, selector string) {
	b.t.Helper()
	dir := os.Getenv("HIREBRIDGE_SCREENSHOTS")
	if dir == "" {
		return
	}
	scroll := "window.scrollTo(0, 0)"
	if selector != "" {
		scroll = `document.querySelector("` + selector + `").scrollIntoView({block: "start"})`
	}
	eval[chromedp.Void](b, scroll)
	time.Sleep(200 * time.Millisecond)
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("%s: %d bytes", name, len(png))
}

// webhookClient keeps no connection open after a request: none outlives
// the test (goleak).
var webhookClient = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// post sends body to s's webhook, wants the status, and answers the event
// id the answer gives (none for a rejection).
func post(t *testing.T, s *servicetest.Service, body []byte, want int) string {
	t.Helper()
	resp, err := webhookClient.Post(s.Web+"/webhooks/hirempire/"+servicetest.Token, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		t.Fatalf("POST %.40s…: %d %s, want %d", body, resp.StatusCode, raw, want)
	}
	var answer struct{ ID string }
	if err := json.Unmarshal(raw, &answer); err != nil {
		t.Fatalf("POST: %d %q: %v", resp.StatusCode, raw, err)
	}
	return answer.ID
}
