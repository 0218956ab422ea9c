package bridge

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/semaphore"
)

// memoryBudget caps the bytes that all requests in progress hold: bodies
// being read, and what decoding them takes. A count of requests alone does
// not bound memory, since one body of tiny values decodes to many times its
// size.
type memoryBudget struct {
	sem   *semaphore.Weighted
	total int64
	// wait is the longest a request waits for its share in all, before it
	// is answered 503.
	wait time.Duration
}

// budgetWait is short: a sender waiting longer than this is better told to
// come back, and the connection is freed for others.
const budgetWait = time.Second

var (
	// errOverBudget means the budget is in use by other requests for now.
	errOverBudget = errors.New("the memory budget for requests in progress is used up")
	// errBeyondBudget means this one request needs more than the whole
	// budget: it can never be served, so it is not worth a retry.
	errBeyondBudget = errors.New("the request needs more memory than the whole budget for requests in progress")
	// errOverShare means the request's source holds its share of the
	// budget while other sources send: a 503 like errOverBudget, at once.
	errOverShare = fmt.Errorf("%w: this source holds its share of it while other sources are sending", errOverBudget)
)

func newMemoryBudget(total int64, wait time.Duration) *memoryBudget {
	return &memoryBudget{sem: semaphore.NewWeighted(total), total: total, wait: wait}
}

// reservation is what one request holds of the budget. It is used by one
// goroutine at a time.
type reservation struct {
	budget *memoryBudget
	// fair, when not nil, holds the request's source (source) to its
	// share of the budget.
	fair     *fairShare
	source   int
	ctx      context.Context
	held     int64
	waitLeft time.Duration
}

func (b *memoryBudget) reserve(ctx context.Context, fair *fairShare, source int) *reservation {
	return &reservation{budget: b, ctx: ctx, waitLeft: b.wait, fair: fair, source: source}
}

// grow takes n more bytes, at once when they are free, or after waiting
// what is left of the request's wait.
func (r *reservation) grow(n int64) error {
	if n <= 0 {
		return nil
	}
	if r.held+n > r.budget.total {
		return errBeyondBudget
	}
	if r.fair != nil && !r.fair.takeBytes(r.source, n, r.budget.total) {
		return errOverShare
	}
	if r.budget.sem.TryAcquire(n) {
		r.held += n
		return nil
	}
	if r.waitLeft <= 0 {
		r.unshare(n)
		return errOverBudget
	}
	start := time.Now()
	ctx, cancel := context.WithTimeout(r.ctx, r.waitLeft)
	err := r.budget.sem.Acquire(ctx, n)
	cancel()
	r.waitLeft -= time.Since(start)
	if err != nil {
		r.unshare(n)
		return errOverBudget
	}
	r.held += n
	return nil
}

// release gives back all the request held, once it is answered.
func (r *reservation) release() {
	if r.held > 0 {
		r.budget.sem.Release(r.held)
		r.unshare(r.held)
		r.held = 0
	}
}

// unshare gives back n bytes of the source's share.
func (r *reservation) unshare(n int64) {
	if r.fair != nil {
		r.fair.releaseBytes(r.source, n)
	}
}
