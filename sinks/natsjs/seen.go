package natsjs

import (
	"hash/maphash"
	"sync"
	"time"
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
	ring []seenID // oldest at head, in the order stored
	head int
	n    int
	age  time.Duration
	now  func() time.Time
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
	return &seen{ids: make(map[idKey]struct{}, size), ring: make([]seenID, size), age: age, now: time.Now}
}

// has reports whether the stream acknowledged id within the window.
func (s *seen) has(id string) bool {
	if len(s.ring) == 0 {
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
	if len(s.ring) == 0 {
		return
	}
	k := keyOf(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.expire()
	if _, ok := s.ids[k]; ok {
		return
	}
	if s.n == len(s.ring) {
		s.pop()
	}
	s.ring[(s.head+s.n)%len(s.ring)] = seenID{k, s.now().UnixNano()}
	s.n++
	s.ids[k] = struct{}{}
}

func (s *seen) expire() {
	oldest := s.now().Add(-s.age).UnixNano()
	for s.n > 0 && s.ring[s.head].at < oldest {
		s.pop()
	}
}

func (s *seen) pop() {
	delete(s.ids, s.ring[s.head].key)
	s.head = (s.head + 1) % len(s.ring)
	s.n--
}

// reset forgets every id.
func (s *seen) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.ids)
	s.head, s.n = 0, 0
}

func (s *seen) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}
