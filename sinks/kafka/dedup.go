package kafka

import (
	"container/list"
	"sync"
	"time"
)

// window remembers the ids of recently stored records, so an exact retry is
// answered as a duplicate without a second record, and joins concurrent
// publishes of one id into a single flight. Kafka has no broker-side
// deduplication and kafka-go no idempotent producer, so this is the only
// place a retry can be recognised; beyond the window consumers dedupe on
// ce_id.
type window struct {
	size int
	age  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	flights map[string]*flight
	// stored holds completed flights in the order they were stored, oldest
	// first, so eviction by size and by age both take from the front.
	stored *list.List
}

// flight is one id's publish: in progress until done is closed, then
// remembered only if it succeeded.
type flight struct {
	id   string
	done chan struct{}
	err  error
	at   time.Time
	elem *list.Element
}

func newWindow(size int, age time.Duration) *window {
	return &window{
		size:    size,
		age:     age,
		now:     time.Now,
		flights: make(map[string]*flight),
		stored:  list.New(),
	}
}

// join returns the flight for id. lead is true when the caller must publish
// and then call finish; otherwise the flight is either stored (done closed,
// err nil: a duplicate) or in progress (wait on done). An empty id is never
// shared: messages without an id cannot be recognised as retries.
func (w *window) join(id string) (f *flight, lead bool) {
	if id == "" {
		return &flight{done: make(chan struct{})}, true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.expire()
	if f, ok := w.flights[id]; ok {
		return f, false
	}
	f = &flight{id: id, done: make(chan struct{})}
	w.flights[id] = f
	return f, true
}

// finish records the outcome of a flight that join made the caller lead. A
// failure is forgotten at once: the record may not exist, so a retry must
// publish again.
func (w *window) finish(f *flight, err error) {
	if f.id == "" {
		f.err = err
		close(f.done)
		return
	}
	w.mu.Lock()
	f.err = err
	if err != nil {
		delete(w.flights, f.id)
	} else {
		f.at = w.now()
		f.elem = w.stored.PushBack(f)
		w.expire()
	}
	w.mu.Unlock()
	close(f.done)
}

// expire drops stored ids beyond the size or older than the age. Flights in
// progress are not in the list: they are bounded by the in-flight limit.
func (w *window) expire() {
	cutoff := w.now().Add(-w.age)
	for e := w.stored.Front(); e != nil; e = w.stored.Front() {
		f := e.Value.(*flight)
		if w.stored.Len() <= w.size && f.at.After(cutoff) {
			return
		}
		w.stored.Remove(e)
		delete(w.flights, f.id)
	}
}

// len is the number of ids remembered as stored.
func (w *window) len() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stored.Len()
}
