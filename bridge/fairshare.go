package bridge

import (
	"sync/atomic"
	"time"
)

// A fair share: while several sources are sending, none holds more than
// its part of the processing slots and of the request memory, so a source
// that floods the bridge gets 503s for its excess while the others are
// served. With one source, or one sending, its share is everything: the
// single-source path pays a few atomic operations and takes no lock.

// activeWindow is how long a source counts as sending after its last
// request. A source sending at a modest rate has gaps between requests;
// were it counted only while a request is in progress, a flood would take
// every slot in each gap, and its next request would find none.
const activeWindow = 2 * time.Second

// recountEvery bounds how often the sources sending are counted: one
// request in that time scans the set, the others read the count.
const recountEvery = 100 * time.Millisecond

// lastSeenStep: a source's last-seen time is written at most this often,
// so that a single source under load does not write one shared word from
// every core at each request.
const lastSeenStep = 10 * time.Millisecond

// sourceLoad is what one source holds.
type sourceLoad struct {
	lastSeen atomic.Int64 // unix nanoseconds
	slots    atomic.Int64
	bytes    atomic.Int64
}

// fairShare tracks the load of each source of one set of sources; a
// reload starts a new one, and requests in flight give back to the one
// they took from.
type fairShare struct {
	loads []sourceLoad
	// sending is how many sources sent within activeWindow, as of
	// countedAt.
	sending   atomic.Int64
	countedAt atomic.Int64
}

func newFairShare(n int) *fairShare {
	f := &fairShare{loads: make([]sourceLoad, n)}
	f.sending.Store(1)
	return f
}

// seen notes a request of source idx at now, and counts the sources
// sending when the count is older than recountEvery, or at once when
// source idx starts sending: a flood's first requests must not take
// everything before the count knows of it.
func (f *fairShare) seen(idx int, now int64) {
	l := &f.loads[idx]
	last := l.lastSeen.Load()
	if now-last >= int64(lastSeenStep) {
		l.lastSeen.Store(now)
	}
	at := f.countedAt.Load()
	starts := now-last > int64(activeWindow)
	if !starts && now-at < int64(recountEvery) {
		return
	}
	if !f.countedAt.CompareAndSwap(at, now) && !starts {
		return
	}
	n := int64(0)
	for i := range f.loads {
		if now-f.loads[i].lastSeen.Load() <= int64(activeWindow) {
			n++
		}
	}
	f.sending.Store(max(n, 1))
}

// share is one source's part of total while the others send: total
// divided among them, rounded up.
func (f *fairShare) share(total int64) int64 {
	n := f.sending.Load()
	return (total + n - 1) / n
}

// takeSlot counts a slot for source idx, unless it holds its share.
func (f *fairShare) takeSlot(idx int, total int) bool {
	l := &f.loads[idx]
	if l.slots.Add(1) > f.share(int64(total)) {
		l.slots.Add(-1)
		return false
	}
	return true
}

func (f *fairShare) releaseSlot(idx int) { f.loads[idx].slots.Add(-1) }

// takeBytes counts n bytes of the memory budget for source idx, unless
// they would take it past its share.
func (f *fairShare) takeBytes(idx int, n, total int64) bool {
	l := &f.loads[idx]
	if l.bytes.Add(n) > f.share(total) {
		l.bytes.Add(-n)
		return false
	}
	return true
}

func (f *fairShare) releaseBytes(idx int, n int64) { f.loads[idx].bytes.Add(-n) }
