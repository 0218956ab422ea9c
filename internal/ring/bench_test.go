package ring

import "testing"

// stamped is what natsjs's window holds: a 128-bit id hash and a time,
// nothing the garbage collector has to follow.
type stamped struct {
	key [2]uint64
	at  int64
}

// windowSize is the windows' default size.
const windowSize = 100_000

// BenchmarkWindowByValue is a full window of pointer-free values moving on
// by one, as natsjs's window does for every acknowledged publish: the
// oldest read in place, then replaced by Shift, or removed by Pop before a
// Push.
func BenchmarkWindowByValue(b *testing.B) {
	for _, how := range []string{"Shift", "PopPush"} {
		b.Run(how, func(b *testing.B) {
			q := New[stamped](windowSize)
			for v := range windowSize {
				q.Push(stamped{at: int64(v)})
			}
			b.ReportAllocs()
			v := int64(windowSize)
			for b.Loop() {
				if q.Front().at != v-windowSize {
					b.Fatal("the front is not the oldest")
				}
				next := stamped{key: [2]uint64{uint64(v), uint64(v)}, at: v}
				if how == "Shift" {
					q.Shift(next)
				} else {
					q.Pop()
					q.Push(next)
				}
				v++
			}
		})
	}
}

// BenchmarkWindowOfPointers is a window of pointers moving on by one, as
// Kafka's window holds its entries, on a queue grown from zero as that
// window's is.
func BenchmarkWindowOfPointers(b *testing.B) {
	entries := make([]stamped, 2*windowSize)
	var q Queue[*stamped]
	for i := range windowSize {
		q.Push(&entries[i])
	}
	b.ReportAllocs()
	i := windowSize
	for b.Loop() {
		if *q.Front() != &entries[(i-windowSize)%len(entries)] {
			b.Fatal("the front is not the oldest")
		}
		q.Pop()
		q.Push(&entries[i%len(entries)])
		i++
	}
}
