package kafka

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"
)

// store leads a write of id and settles it as stored while its leader waits.
func store(t *testing.T, w *window, id string) {
	t.Helper()
	e, o, r := w.join(id)
	if r != lead {
		t.Fatalf("first join of %q: role %d, want lead", id, r)
	}
	w.finishWrite(e, o, written, nil)
}

func TestWindowAnswersStoredIDsAsDuplicates(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, _ := w.join("a")
	w.finishWrite(e, o, written, nil)
	if o.err != nil {
		t.Fatalf("stored write carries %v", o.err)
	}
	if got := w.claim(e, o, true); got != fresh {
		t.Fatalf("the leader of the write that stored it: role %d, want fresh", got)
	}
	if _, _, r := w.join("a"); r != duplicate {
		t.Fatalf("a stored id joined again: role %d, want duplicate", r)
	}
}

// A leader that stopped waiting was never told: the first caller to ask
// afterwards is told the record is stored, not that it is a duplicate.
func TestWindowFirstCallerToLearnIsToldFresh(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, _ := w.join("a")
	_, joined, r := w.join("a")
	if r != wait || joined != o {
		t.Fatalf("join while writing: role %d, want wait on the write", r)
	}
	if w.stopLeading(o) {
		t.Fatal("stopLeading reports success before the write ended")
	}
	w.finishWrite(e, o, written, nil)
	if got := w.claim(e, o, false); got != fresh {
		t.Fatalf("the caller that waited on the write: role %d, want fresh", got)
	}
	if _, _, r := w.join("a"); r != duplicate {
		t.Fatalf("a later retry: role %d, want duplicate", r)
	}
}

func TestWindowSuccessBeforeLeaderStopsIsTheLeaders(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, _ := w.join("a")
	w.finishWrite(e, o, written, nil)
	if !w.stopLeading(o) {
		t.Fatal("a leader whose write succeeded as its context ended is not told so")
	}
	if got := w.claim(e, o, false); got != duplicate {
		t.Fatalf("another caller: role %d, want duplicate", got)
	}
}

func TestWindowForgetsFailures(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, _ := w.join("a")
	w.finishWrite(e, o, notWritten, errors.New("broker down"))
	if _, _, r := w.join("a"); r != lead {
		t.Fatal("an id whose publish failed is remembered")
	}
}

func TestWindowUnknownOutcomeWaitsForTheReadBack(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, _ := w.join("a")
	read := w.finishWrite(e, o, unknown, errors.New("i/o timeout"))
	if read == nil || !errors.Is(o.err, errUnknownOutcome) {
		t.Fatalf("unknown outcome: read-back %v, write error %v", read, o.err)
	}
	_, got, r := w.join("a")
	if r != wait || got != read {
		t.Fatalf("join during the read-back: role %d, want wait on it", r)
	}
	w.finishRead(e, read, true, nil)
	if c := w.claim(e, read, false); c != fresh {
		t.Fatalf("first caller after the record was found: role %d, want fresh", c)
	}
	if _, _, r := w.join("a"); r != duplicate {
		t.Fatalf("next caller: role %d, want duplicate", r)
	}

	e, o, _ = w.join("b")
	read = w.finishWrite(e, o, unknown, nil)
	w.finishRead(e, read, false, nil)
	if !errors.Is(read.err, errNotStored) {
		t.Fatalf("not found: %v", read.err)
	}
	if _, _, r := w.join("b"); r != lead {
		t.Fatalf("an id the read-back did not find: role %d, want lead", r)
	}
}

func TestWindowEvictsOldestBeyondSize(t *testing.T) {
	w := newWindow(3, time.Hour)
	for _, id := range []string{"a", "b", "c", "d"} {
		store(t, w, id)
	}
	if n := w.len(); n != 3 {
		t.Fatalf("%d ids remembered, want 3", n)
	}
	if _, _, r := w.join("a"); r != lead {
		t.Error("the oldest id survived eviction by size")
	}
	for _, id := range []string{"b", "c", "d"} {
		if _, _, r := w.join(id); r == lead {
			t.Errorf("%s was evicted, want it remembered", id)
		}
	}
}

func TestWindowExpiresByAge(t *testing.T) {
	now := time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC)
	w := newWindow(100, 10*time.Minute)
	w.now = func() time.Time { return now }
	w.epoch = now
	store(t, w, "old")
	now = now.Add(6 * time.Minute)
	store(t, w, "young")
	now = now.Add(5 * time.Minute)
	if _, _, r := w.join("old"); r != lead {
		t.Error("an id older than the age is still remembered")
	}
	if _, _, r := w.join("young"); r == lead {
		t.Error("an id younger than the age was forgotten")
	}
}

func TestWindowEvictsIDsAwaitingReadBack(t *testing.T) {
	w := newWindow(2, time.Hour)
	e, o, _ := w.join("unknown")
	read := w.finishWrite(e, o, unknown, nil)
	store(t, w, "b")
	store(t, w, "c")
	if w.alive(e) {
		t.Fatal("an id awaiting its read-back survived eviction by size")
	}
	// The read-back ends later; the id is not brought back.
	w.finishRead(e, read, true, nil)
	if _, _, r := w.join("unknown"); r != lead {
		t.Fatalf("evicted id: role %d, want lead", r)
	}
}

func TestWindowJoinsConcurrentPublishesOfOneID(t *testing.T) {
	w := newWindow(10, time.Minute)
	const callers = 16
	var (
		mu      sync.Mutex
		leaders int
		ops     = map[*op]bool{}
		wg      sync.WaitGroup
	)
	start := make(chan struct{})
	for range callers {
		wg.Go(func() {
			<-start
			_, o, r := w.join("same")
			mu.Lock()
			ops[o] = true
			if r == lead {
				leaders++
			}
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	if leaders != 1 || len(ops) != 1 {
		t.Fatalf("%d leaders over %d writes, want one of each", leaders, len(ops))
	}
}

func TestWindowNeverSharesAnEmptyID(t *testing.T) {
	w := newWindow(10, time.Minute)
	e, o, r := w.join("")
	if r != lead {
		t.Fatal("an empty id does not lead")
	}
	w.finishWrite(e, o, written, nil)
	if _, _, r := w.join(""); r != lead {
		t.Fatal("a second message without an id was taken for a retry")
	}
	if n := w.len(); n != 0 {
		t.Fatalf("%d ids remembered, want none", n)
	}
	e, o, _ = w.join("")
	if read := w.finishWrite(e, o, unknown, errors.New("timeout")); read != nil {
		t.Fatal("a message without an id got a read-back")
	}
}

// The window holds at most its size whatever goes through it, and forgets
// what it evicted: its map and ring stay as large as the size needs.
func TestWindowStaysBounded(t *testing.T) {
	const size = 1000
	w := newWindow(size, time.Hour)
	for i := range 20 * size {
		id := fmt.Sprintf("%032x", i)
		e, o, _ := w.join(id)
		switch i % 10 {
		case 0:
			w.finishWrite(e, o, notWritten, errors.New("refused"))
		case 1:
			read := w.finishWrite(e, o, unknown, nil)
			w.finishRead(e, read, i%20 == 1, nil)
		default:
			w.finishWrite(e, o, written, nil)
		}
		if n := len(w.ids); n > size {
			t.Fatalf("after %d ids the map holds %d, more than the size %d", i+1, n, size)
		}
	}
	if n := w.fifo.Len(); n > size {
		t.Fatalf("ring holds %d entries, size %d", n, size)
	}
	if c := w.fifo.Cap(); c > 2*size {
		t.Fatalf("ring capacity %d for size %d", c, size)
	}
}

// BenchmarkWindowMemory reports the heap a full window holds per id, with
// 32-character ids as the bridge's (hex content ids): DedupSize ids cost
// DedupSize times the reported bytes.
func BenchmarkWindowMemory(b *testing.B) {
	ids := make([]string, defaults.DedupSize)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	b.ReportAllocs()
	var perEntry float64
	for b.Loop() {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := newWindow(defaults.DedupSize, defaults.DedupAge)
		for _, id := range ids {
			e, o, _ := w.join(id)
			w.finishWrite(e, o, written, nil)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if w.len() != len(ids) {
			b.Fatalf("window holds %d ids, want %d", w.len(), len(ids))
		}
		perEntry = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(ids))
		runtime.KeepAlive(w)
	}
	b.ReportMetric(perEntry, "heap-B/entry")
}

// BenchmarkWindow is the window's work for one stored publish on a full
// window: join as leader, settle as written (evicting the oldest id), then
// a retry of an id still remembered answered as a duplicate.
func BenchmarkWindow(b *testing.B) {
	size := defaults.DedupSize
	ids := make([]string, 2*size)
	for i := range ids {
		ids[i] = fmt.Sprintf("%032x", i)
	}
	w := newWindow(size, time.Hour)
	for _, id := range ids[:size] {
		e, o, _ := w.join(id)
		w.finishWrite(e, o, written, nil)
	}
	b.ReportAllocs()
	i := size
	for b.Loop() {
		e, o, r := w.join(ids[i%len(ids)])
		if r != lead {
			b.Fatalf("a new id: role %d, want lead", r)
		}
		w.finishWrite(e, o, written, nil)
		if _, _, r := w.join(ids[(i-size/2)%len(ids)]); r == lead {
			b.Fatal("an id within the window is forgotten")
		}
		i++
	}
}
