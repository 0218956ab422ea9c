// Package ring is a first-in first-out queue in a circular buffer: the
// structure under the sinks' bounded windows of remembered ids
// (sinks/natsjs/seen.go, sinks/kafka/dedup.go), which add at the back and
// forget from the front, by size and by age.
package ring

// Queue holds values oldest first. Values are held in its buffer by value,
// not behind pointers: for a T without pointers (a hash and a time) the
// buffer is memory the garbage collector never scans, however many values
// it holds. The zero Queue is empty and ready to use.
//
// Front and At give a value in place, not a copy: a window reads one field
// of its oldest value (the key to forget), and copying the whole value
// first measured about 10% slower on natsjs's window, whose time is mostly
// its map's cache misses. The pointer is valid until the queue next
// changes.
//
// A Queue is not safe for concurrent use; its owner's lock guards it.
type Queue[T any] struct {
	buf  []T
	head int // index of the oldest value in buf
	n    int
}

// minGrowth is the first buffer a zero Queue allocates: growing from one
// slot would copy the first values over and over.
const minGrowth = 16

// New returns an empty Queue with room for capacity values. A window that
// removes its oldest value before adding one to a full queue keeps exactly
// that buffer: it never grows, and costs capacity slots, no more.
func New[T any](capacity int) Queue[T] {
	return Queue[T]{buf: make([]T, capacity)}
}

// Len is the number of values held.
func (q *Queue[T]) Len() int { return q.n }

// Cap is the number of values the buffer holds before it grows.
func (q *Queue[T]) Cap() int { return len(q.buf) }

// Push adds v at the back. A full queue doubles its buffer first (to 16 at
// least), keeping the order.
func (q *Queue[T]) Push(v T) {
	if q.n == len(q.buf) {
		q.grow()
	}
	q.buf[q.index(q.n)] = v
	q.n++
}

// Front is the oldest value, in place. The queue must not be empty.
func (q *Queue[T]) Front() *T { return &q.buf[q.head] }

// At is the i-th oldest value, in place, 0 ≤ i < Len.
func (q *Queue[T]) At(i int) *T { return &q.buf[q.index(i)] }

// Pop removes the oldest value; read it first with Front. The queue must
// not be empty. Its slot is zeroed: a buffer must not keep alive what the
// queue let go.
func (q *Queue[T]) Pop() {
	var zero T
	q.buf[q.head] = zero
	q.head = q.index(1)
	q.n--
}

// Shift moves a full queue on by one: the oldest value leaves (read it
// first with Front) and v takes its slot, at the back. It is Pop then Push
// in one write, for a window kept full by a steady flow, evicting by size.
// The queue must be full (Len == Cap > 0).
func (q *Queue[T]) Shift(v T) {
	q.buf[q.head] = v
	q.head = q.index(1)
}

// Clear removes every value, zeroing their slots; the buffer is kept.
func (q *Queue[T]) Clear() {
	if end := q.head + q.n; end <= len(q.buf) {
		clear(q.buf[q.head:end])
	} else {
		clear(q.buf[q.head:])
		clear(q.buf[:end-len(q.buf)])
	}
	q.head, q.n = 0, 0
}

// index is the buffer index of the i-th oldest slot, 0 ≤ i ≤ Cap. A
// comparison instead of a modulo: this is on every push and pop of a busy
// window, and a division costs more than a branch that is almost always
// taken the same way.
func (q *Queue[T]) index(i int) int {
	j := q.head + i
	if j >= len(q.buf) {
		j -= len(q.buf)
	}
	return j
}

func (q *Queue[T]) grow() {
	buf := make([]T, max(minGrowth, 2*len(q.buf)))
	n := copy(buf, q.buf[q.head:])
	copy(buf[n:], q.buf[:q.head])
	q.buf, q.head = buf, 0
}
