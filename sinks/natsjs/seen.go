package natsjs

import (
	"hash/maphash"
	"sync"
	"time"

	"github.com/hirebridge/hirebridge/internal/ring"
)

// seen remembers the ids of the last messages the stream acknowledged, so
// a re-sent event is answered duplicate without a publish, while that
// stream is the one there (window.go). It is what bounds the memory of
// duplicate detection whatever the event rate:
// JetStream's own duplicate window is a time, and costs about 215 bytes of
// heap per id within it (at 20,000 events a second, a minute of it is 260
// MB), while seen holds at most size ids, about 60 bytes each, in memory the
// collector never scans. Only acknowledged ids enter it, and window.go
// forgets them with their stream, so a duplicate answer is the truth. JetStream's window still catches what seen
// cannot: two copies published at once, and re-sends to another process.
type seen struct {
	mu   sync.Mutex
	ids  map[idKey]struct{}
	size int
	// stored holds the ids oldest first, in the order stored, by value:
	// seenID has no pointers, so the collector never scans it.
	stored ring.Queue[seenID]
	age    time.Duration
	now    func() time.Time
}

type seenID struct {
	key idKey
	at  int64
}

// idKey is 128 bits of the id, from two seeded hashes: a false match
// would answer duplicate for an event never stored, so the chance of one
// among 100,000 ids must be nothing (about 10^-29).
type idKey [2]uint64

var idSeeds = [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}

func keyOf(id string) idKey {
	return idKey{maphash.String(idSeeds[0], id), maphash.String(idSeeds[1], id)}
}

// newSeen remembers up to size ids, each for age; a size of 0 remembers
// nothing.
func newSeen(size int, age time.Duration) *seen {
	// The queue is made full size at once and never grows: the oldest id
	// leaves before a new one enters a full window.
	return &seen{ids: make(map[idKey]struct{}, size), size: size, stored: ring.New[seenID](size), age: age, now: time.Now}
}

// has reports whether the stream acknowledged id within the window.
func (s *seen) has(id string) bool {
	if s.size == 0 {
		return false
	}
	k := keyOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	_, ok := s.ids[k]
	return ok
}

// add records that the stream acknowledged id.
func (s *seen) add(id string) {
	if s.size == 0 {
		return
	}
	k := keyOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	if _, ok := s.ids[k]; ok {
		return
	}
	if s.stored.Len() < s.size {
		s.stored.Push(seenID{k, s.now().UnixNano()})
	} else {
		// Full: the oldest id leaves to make room. The clock is read after
		// its delete: read before, a full window measured about 10%
		// slower (BenchmarkSeen).
		delete(s.ids, s.stored.Front().key)
		s.stored.Shift(seenID{k, s.now().UnixNano()})
	}
	s.ids[k] = struct{}{}
}

func (s *seen) expire() {
	oldest := s.now().Add(-s.age).UnixNano()
	for s.stored.Len() > 0 && s.stored.Front().at < oldest {
		delete(s.ids, s.stored.Front().key)
		s.stored.Pop()
	}
}

// reset forgets every id.
func (s *seen) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.ids)
	s.stored.Clear()
}

func (s *seen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stored.Len()
}
