package kafka

import (
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/hirebridge/hirebridge/internal/ring"
)

// window remembers the ids of recent records, so an exact retry is answered
// as a duplicate without a second record, and joins concurrent publishes of
// one id into a single write. Kafka has no broker-side deduplication and
// kafka-go no idempotent producer, so this is the only place a retry can be
// recognised; beyond the window consumers dedupe on ce_id.
//
// An id is in one of three states: being written (op in progress), stored
// (the broker acked it, or a read-back found it), or unknown: its write
// ended without an answer, so the record may exist or may still be written,
// and a read-back (resolver) is in progress as the entry's op. A failed
// write is forgotten at once: nothing was stored, so a retry writes again.
//
// Answers are truthful: only the first caller told of a stored record is
// answered as new; every later one is a duplicate. A caller is never told
// "duplicate" because an attempt is merely in flight or timed out: it waits
// for the outcome (bounded by its context) instead.
type window struct {
	size int
	age  time.Duration
	now  func() time.Time
	// epoch makes entry times small monotonic offsets.
	epoch time.Time

	mu  sync.Mutex
	ids map[string]*entry
	// fifo holds settled entries (stored or unknown) in the order they
	// settled, oldest first, so eviction by size and by age both take from
	// the front. Entries forgotten since are skipped there (dead), and
	// count toward the size until they reach the front. It grows by
	// doubling from empty; expire keeps it at most one above the size, so
	// its buffer stays within twice the size.
	fifo ring.Queue[*entry]
}

// entry is one id. Its fields are guarded by window.mu. It costs 48 bytes
// plus its id, its map slot and a ring slot; see BenchmarkWindowMemory.
type entry struct {
	id string
	// at is when the entry settled, in nanoseconds since the window's epoch.
	at int64
	// op is the write or the read-back in progress, nil when settled as
	// stored.
	op *op
	// stored: the record is known to be in the topic.
	stored bool
	// claimed: some caller has been answered that the record is stored.
	claimed bool
	queued  bool
	// dead: no longer in ids (failed, evicted).
	dead bool
}

// op is one write or read-back of an entry: callers wait on done, then read
// err (nil: stored).
type op struct {
	done chan struct{}
	err  error
	// leading is true while the caller that started the write still waits
	// for it; forLeader is set when the write succeeded while it did, so
	// that caller is the one answered as new.
	leading   bool
	forLeader bool
	// joined counts the callers that waited on it, for tests.
	joined int
}

// errUnknownOutcome ends a write whose record may or may not have been
// stored; the entry moves on to a read-back.
var errUnknownOutcome = errors.New("outcome of the write unknown; reading the partition back")

// errNotStored ends a read-back that did not find the record: the entry is
// forgotten, and the next caller writes it.
var errNotStored = errors.New("record not found by read-back")

func newWindow(size int, age time.Duration) *window {
	return &window{
		size:  size,
		age:   age,
		now:   time.Now,
		epoch: time.Now(),
		ids:   make(map[string]*entry),
	}
}

// role is what join asks of the caller.
type role uint8

const (
	// lead: publish the record, then settle the op with finishWrite.
	lead role = iota
	// wait: another caller's write or a read-back is in progress.
	wait
	// fresh: stored, and this caller is the first to be told.
	fresh
	// duplicate: stored, and some caller was already told.
	duplicate
)

// join returns id's entry and what the caller must do. An empty id is never
// shared: messages without an id cannot be recognised as retries.
func (w *window) join(id string) (*entry, *op, role) {
	if id == "" {
		o := &op{done: make(chan struct{}), leading: true}
		return &entry{op: o, dead: true}, o, lead
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire()
	e := w.ids[id]
	switch {
	case e == nil:
		// The id may be a substring of a larger allocation (a request
		// body): keep only its bytes.
		o := &op{done: make(chan struct{}), leading: true}
		e = &entry{id: strings.Clone(id), op: o}
		w.ids[e.id] = e
		return e, o, lead
	case e.op != nil:
		e.op.joined++
		return e, e.op, wait
	case !e.claimed:
		e.claimed = true
		return e, nil, fresh
	default:
		return e, nil, duplicate
	}
}

// claim answers a caller whose op ended with the record stored: the leader
// the success was set aside for, or the first caller to ask, is told the
// record is new; any other caller gets a duplicate.
func (w *window) claim(e *entry, o *op, leader bool) role {
	w.mu.Lock()
	defer w.mu.Unlock()
	if leader && o.forLeader {
		return fresh
	}
	if !e.claimed {
		e.claimed = true
		return fresh
	}
	return duplicate
}

// stopLeading is called when the leader's context ends. It reports whether
// the write has already succeeded on the leader's behalf, in which case the
// leader must answer success after all.
func (w *window) stopLeading(o *op) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if o.forLeader {
		return true
	}
	o.leading = false
	return false
}

// outcome is how a write ended.
type outcome uint8

const (
	written outcome = iota
	// notWritten: the broker refused the record or never received it.
	notWritten
	// unknown: the request may have reached the broker, which may store
	// the record, or already has, without the answer arriving.
	unknown
)

// finishWrite settles a write. For an unknown outcome it returns the
// read-back op the entry now waits on, for the resolver; nil otherwise
// (and for an entry without an id, whose unknown outcome is a failure).
func (w *window) finishWrite(e *entry, o *op, how outcome, err error) *op {
	w.mu.Lock()
	defer w.mu.Unlock()
	var next *op
	switch {
	case how == written:
		e.stored, e.op = true, nil
		if o.leading {
			e.claimed, o.forLeader = true, true
		}
		if !e.dead {
			w.settle(e)
		}
		err = nil
	case how == unknown && e.id != "" && !e.dead:
		next = &op{done: make(chan struct{})}
		e.op = next
		w.settle(e)
		err = errUnknownOutcome
	default:
		if err == nil {
			err = errUnknownOutcome
		}
		w.forget(e)
	}
	o.err = err
	close(o.done)
	w.expire()
	return next
}

// finishRead settles a read-back: found, not found (forgotten), or
// abandoned with err (forgotten too).
func (w *window) finishRead(e *entry, o *op, found bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case found:
		if e.op == o {
			e.stored, e.op = true, nil
		}
		err = nil
	case err == nil:
		err = errNotStored
		fallthrough
	default:
		if e.op == o {
			w.forget(e)
		}
	}
	o.err = err
	close(o.done)
}

// joined is how many callers wait on the op in progress for id.
func (w *window) joined(id string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e := w.ids[id]; e != nil && e.op != nil {
		return e.op.joined
	}
	return 0
}

// alive reports whether e is still remembered (not evicted nor forgotten).
func (w *window) alive(e *entry) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !e.dead
}

func (w *window) settle(e *entry) {
	e.at = int64(w.now().Sub(w.epoch))
	if !e.queued {
		e.queued = true
		w.fifo.Push(e)
	}
}

func (w *window) forget(e *entry) {
	e.op = nil
	if e.dead {
		return
	}
	e.dead = true
	if w.ids[e.id] == e {
		delete(w.ids, e.id)
	}
}

// expire drops settled entries beyond the size or older than the age.
// Writes in progress are not in the ring: they are bounded by the in-flight
// limit.
func (w *window) expire() {
	cutoff := int64(w.now().Sub(w.epoch) - w.age)
	for w.fifo.Len() > 0 {
		e := *w.fifo.Front()
		if !e.dead && w.fifo.Len() <= w.size && e.at > cutoff {
			return
		}
		w.fifo.Pop()
		e.queued = false
		w.forget(e)
	}
}

// len is the number of ids remembered as settled (stored or unknown).
func (w *window) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	n := 0
	for i := range w.fifo.Len() {
		if !(*w.fifo.At(i)).dead {
			n++
		}
	}
	return n
}
