package bridge

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// budgetedHandler is the harness's handler with its own memory budget, so
// a test can hold the budget as other requests would.
func budgetedHandler(h *harness, change func(*Config)) (*Handler, *http.ServeMux) {
	cfg := h.cfg
	change(&cfg)
	handler := NewHandler(cfg, h.sink, h.log, NewMetrics(prometheus.NewRegistry()))
	mux := http.NewServeMux()
	handler.Mount(mux, testPath)
	return handler, mux
}

// waitingForBudget tells whether a request is queued for a share of b:
// with one byte free and nobody waiting, that byte can be taken; a waiter
// keeps everyone else from it, however little it wants.
func waitingForBudget(b *memoryBudget) bool {
	if b.sem.TryAcquire(1) {
		b.sem.Release(1)
		return false
	}
	return true
}

// While other requests hold the budget, a request waits for its share a
// moment, then gets 503 with Retry-After; a request waiting when the budget
// is freed is served at once. Not parallel: it measures the waits.
func TestMemoryBudgetUsedUp(t *testing.T) {
	h := newHarness(t)
	const total = 1 << 20
	handler, mux := budgetedHandler(h, func(c *Config) { c.RequestMemory = total; c.MaxBodyBytes = total / 4 })
	if err := handler.budget.sem.Acquire(context.Background(), total); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := serveDirect(mux, jobAdded(t, "job_waits"))
	waited := time.Since(start)
	wantError(t, r, http.StatusServiceUnavailable, codeOverloaded)
	if r.header.Get("Retry-After") == "" {
		t.Error("503 without Retry-After")
	}
	if waited < budgetWait/2 || waited > 5*budgetWait {
		t.Errorf("answered after %v; a request waits about %v for its share", waited, budgetWait)
	}

	// Freed while the next request waits for its share: it is woken, takes
	// its share and is served, well before its wait would have run out.
	// One byte is freed first, too little for any request: taking it fails
	// only once the request is queued, so the test sees the request
	// waiting rather than sleeping and hoping it does.
	handler.budget.sem.Release(1)
	done := make(chan response, 1)
	go func() { done <- serveDirect(mux, jobAdded(t, "job_served")) }()
	eventually(t, 5*time.Second, "the request to wait for its share", func() bool { return waitingForBudget(handler.budget) })
	freed := time.Now()
	handler.budget.sem.Release(total - 1)
	wantOutcome(t, <-done, "published")
	if woken := time.Since(freed); woken > budgetWait/2 {
		t.Errorf("served %v after the budget was freed; a waiting request is woken when it is, not when its wait of %v ends", woken, budgetWait)
	}
	if n := len(h.messages(t, testPrefix+".job_added")); n != 1 {
		t.Errorf("%d events stored, want the served one only", n)
	}
	// Everything a request took is given back.
	if !handler.budget.sem.TryAcquire(total) {
		t.Error("the budget is not whole again after every request was answered")
	}
}

// A body whose decoding alone needs more than the whole budget can never be
// served: 413, not a 503 that invites a retry. Nothing is stored.
func TestMemoryBudgetTooSmallForOneBody(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const total = 256 << 10
	handler, mux := budgetedHandler(h, func(c *Config) { c.RequestMemory = total; c.MaxBodyBytes = total / 4 })
	// 30,000 tiny values in 60 KiB decode to well over 256 KiB.
	body := withRaw(t, `"v":[`+strings.Repeat("0,", 30000)+`0]`)
	if int64(len(body)) > total/4 {
		t.Fatalf("body of %d bytes is over the limit; the test means to pass it", len(body))
	}
	wantError(t, serveDirect(mux, body), http.StatusRequestEntityTooLarge, codeTooLarge)
	if n := h.stored(t); n != 0 {
		t.Errorf("%d messages stored, want none", n)
	}
	if !handler.budget.sem.TryAcquire(total) {
		t.Error("the budget is not whole again after the refusal")
	}
	handler.budget.sem.Release(total)
	// An ordinary event fits.
	wantOutcome(t, serveDirect(mux, jobAdded(t, "job_fits")), "published")
}

// Bodies are charged as they arrive: reading is in the budget too, so a
// body cannot be read past the budget even before it is decoded.
func TestMemoryBudgetCoversReading(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	const total = 1 << 20
	handler, mux := budgetedHandler(h, func(c *Config) { c.RequestMemory = total; c.MaxBodyBytes = total / 4 })
	// Leave room for a small body, not for a 200 KiB one.
	if err := handler.budget.sem.Acquire(context.Background(), total-64<<10); err != nil {
		t.Fatal(err)
	}
	big := withRaw(t, `"note":"`+strings.Repeat("x", 200<<10)+`"`)
	wantError(t, serveDirect(mux, big), http.StatusServiceUnavailable, codeOverloaded)
	wantOutcome(t, serveDirect(mux, jobAdded(t, "job_small")), "published")
	handler.budget.sem.Release(total - 64<<10)
	wantOutcome(t, serveDirect(mux, big), "published")
}
