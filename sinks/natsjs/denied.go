package natsjs

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// A subject the credentials may not publish to gets no answer to the
// publish: the server drops the message and tells the connection, on its
// own, -ERR 'Permissions Violation for Publish to "<subject>"', which
// nats.go hands to the connection's error handler only. The publish would
// wait out the ack timeout for an ack that never comes, and then pass for a
// stream that stopped storing. So the handler records each denial, and a
// publish waiting for its ack wakes on one and looks whether its own
// subject was denied after it sent.
//
// A permitted publish pays one atomic load and one more select case: the
// denials are published as immutable epochs, each with a channel closed
// when the next denial comes. Nothing refuses a publish without sending it:
// only a denial that came after it was sent counts, so a permission the
// operator fixed works from the next publish on.

const (
	// publishViolation is how nats-server words a publish denial, before
	// the quoted subject (server/client.go, pubPermissionViolation).
	publishViolation = "Permissions Violation for Publish to "
	// deniedKept bounds the subjects an epoch remembers; the oldest goes
	// first. A waiter looks as soon as it is woken, so only a flood of
	// denials to this many other subjects within that moment could push its
	// own out, and then it waits for its ack as it would without this.
	deniedKept = 256
	// deniedFor is how long a denial is remembered, for the same waiters.
	deniedFor = time.Minute
)

// denials are the publish denials the server reported.
type denials struct {
	// mu orders the writers; readers only load current.
	mu      sync.Mutex
	current atomic.Pointer[denialEpoch]
}

// denialEpoch is what was denied up to one denial. It is never changed once
// stored: done is closed when the next epoch replaces it.
type denialEpoch struct {
	seq      uint64
	done     chan struct{}
	subjects map[string]denial
}

// denial is the last time a subject was denied.
type denial struct {
	// seq is the epoch that recorded it.
	seq uint64
	at  time.Time
	// err is the server's words, wrapping nats.ErrPermissionViolation.
	err error
}

func newDenials() *denials {
	d := &denials{}
	d.current.Store(&denialEpoch{done: make(chan struct{})})
	return d
}

// epoch is what was denied so far; a publish takes it before sending.
func (d *denials) epoch() *denialEpoch { return d.current.Load() }

// record notes a publish denial reported by the connection; other
// asynchronous errors are not its business.
func (d *denials) record(err error) {
	subject, ok := deniedSubject(err)
	if !ok {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.current.Load()
	now := time.Now()
	next := &denialEpoch{seq: old.seq + 1, done: make(chan struct{}), subjects: make(map[string]denial, min(len(old.subjects)+1, deniedKept))}
	oldest := ""
	for s, x := range old.subjects {
		if s == subject || now.Sub(x.at) >= deniedFor {
			continue
		}
		next.subjects[s] = x
		if oldest == "" || x.at.Before(next.subjects[oldest].at) {
			oldest = s
		}
	}
	if len(next.subjects) >= deniedKept {
		delete(next.subjects, oldest)
	}
	next.subjects[subject] = denial{seq: next.seq, at: now, err: err}
	d.current.Store(next)
	close(old.done)
}

// deniedAfter is the server's denial of subject when it came after epoch
// seq (the one a publish took before sending), or nil.
func (e *denialEpoch) deniedAfter(subject string, seq uint64) error {
	if x, ok := e.subjects[subject]; ok && x.seq > seq {
		return x.err
	}
	return nil
}

// deniedSubject is the subject a publish denial names, read back exactly as
// the server quoted it.
func deniedSubject(err error) (string, bool) {
	if !errors.Is(err, nats.ErrPermissionViolation) {
		return "", false
	}
	text := err.Error()
	i := strings.Index(text, publishViolation)
	if i < 0 {
		// A subscription, or a reply subject, that was denied.
		return "", false
	}
	subject, uerr := strconv.Unquote(text[i+len(publishViolation):])
	return subject, uerr == nil
}

// onAsyncError is an option running fn on each asynchronous error of the
// connection, ahead of the handler the options set before it (which logs
// the error).
func onAsyncError(fn func(error)) nats.Option {
	return func(o *nats.Options) error {
		prev := o.AsyncErrorCB
		o.AsyncErrorCB = func(nc *nats.Conn, sub *nats.Subscription, err error) {
			fn(err)
			if prev != nil {
				prev(nc, sub, err)
			}
		}
		return nil
	}
}
