package ring

import (
	"slices"
	"testing"
)

// contents lists q's values oldest first, through At.
func contents[T any](q *Queue[T]) []T {
	var vs []T
	for i := range q.Len() {
		vs = append(vs, *q.At(i))
	}
	return vs
}

func TestQueueIsFirstInFirstOut(t *testing.T) {
	var q Queue[int]
	for v := range 5 {
		q.Push(v)
	}
	if got := contents(&q); !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Fatalf("contents %v, want 0 to 4 in order", got)
	}
	for want := range 5 {
		if f := *q.Front(); f != want {
			t.Fatalf("front %d, want %d", f, want)
		}
		q.Pop()
	}
	if q.Len() != 0 {
		t.Fatalf("len %d after popping everything", q.Len())
	}
}

// A window pops its oldest before pushing into a full queue: the values
// wrap around the end of the buffer, in order, and the buffer stays the one
// New made.
func TestQueueWrapsWithoutGrowing(t *testing.T) {
	q := New[int](3)
	for v := range 10 {
		if q.Len() == 3 {
			q.Pop()
		}
		q.Push(v)
		if q.Cap() != 3 {
			t.Fatalf("capacity %d after pushing %d, want the 3 New made", q.Cap(), v)
		}
	}
	if got := contents(&q); !slices.Equal(got, []int{7, 8, 9}) {
		t.Fatalf("contents %v, want the last three", got)
	}
}

func TestQueueGrowsKeepingTheOrder(t *testing.T) {
	var q Queue[int]
	// Move the head into the middle of the first buffer, then fill it, so
	// growing must copy both the part after the head and the part before.
	for v := range 10 {
		q.Push(v)
	}
	for range 10 {
		q.Pop()
	}
	for v := range 40 {
		q.Push(v)
	}
	want := make([]int, 40)
	for v := range want {
		want[v] = v
	}
	if got := contents(&q); !slices.Equal(got, want) {
		t.Fatalf("contents %v, want 0 to 39 in order", got)
	}
	if c := q.Cap(); c != 64 {
		t.Errorf("capacity %d for 40 values, want 64 (16, doubled twice)", c)
	}
}

// Popped and cleared slots are zeroed, so a queue of pointers does not keep
// alive what it let go.
func TestQueueForgetsWhatItLetGo(t *testing.T) {
	var q Queue[*int]
	for v := range 5 {
		q.Push(&v)
	}
	q.Pop()
	q.Pop()
	live := 0
	for _, p := range q.buf {
		if p != nil {
			live++
		}
	}
	if live != 3 {
		t.Fatalf("%d slots hold a pointer after popping 2 of 5, want 3", live)
	}
	q.Clear()
	if q.Len() != 0 || slices.ContainsFunc(q.buf, func(p *int) bool { return p != nil }) {
		t.Fatalf("after Clear: len %d, buffer %v", q.Len(), q.buf)
	}
}

func TestQueueClearWrapped(t *testing.T) {
	q := New[int](4)
	for v := range 6 {
		if q.Len() == 4 {
			q.Pop()
		}
		q.Push(v + 1)
	}
	q.Clear()
	if q.Len() != 0 || slices.ContainsFunc(q.buf, func(v int) bool { return v != 0 }) {
		t.Fatalf("after Clear: len %d, buffer %v", q.Len(), q.buf)
	}
	q.Push(7)
	if *q.Front() != 7 || q.Len() != 1 {
		t.Fatalf("after Clear and a push: front %d, len %d", *q.Front(), q.Len())
	}
}

// A full window's steady state allocates nothing.
func TestQueueSteadyStateAllocatesNothing(t *testing.T) {
	q := New[stamped](100)
	for v := range 100 {
		q.Push(stamped{key: [2]uint64{uint64(v)}, at: int64(v)})
	}
	v := int64(100)
	if n := testing.AllocsPerRun(1000, func() {
		q.Pop()
		q.Push(stamped{at: v})
		q.Shift(stamped{at: v + 1})
		v += 2
	}); n != 0 {
		t.Fatalf("%v allocations per pop, push and shift", n)
	}
}

func TestShiftMovesAFullQueueOnByOne(t *testing.T) {
	q := New[int](3)
	for v := range 3 {
		q.Push(v)
	}
	for v := 3; v < 8; v++ {
		q.Shift(v)
		if f := *q.Front(); f != v-2 {
			t.Fatalf("after Shift(%d) the front is %d, want %d", v, f, v-2)
		}
		if q.Len() != 3 || q.Cap() != 3 {
			t.Fatalf("after Shift(%d): len %d, capacity %d; want 3 and 3", v, q.Len(), q.Cap())
		}
	}
	if got := contents(&q); !slices.Equal(got, []int{5, 6, 7}) {
		t.Fatalf("contents %v, want the last three", got)
	}
	q.Pop()
	if *q.Front() != 6 {
		t.Fatal("Pop after Shift does not take the oldest")
	}
}
