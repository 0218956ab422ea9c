package kafka

import (
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
)

// writerIdle is how long a topic's writer stays open without a write.
// A kafka-go Writer keeps a goroutine and a batch queue for every
// topic-partition it ever wrote to, until the Writer closes
// (writer.go, newPartitionWriter): with one Writer for every topic, each
// event type the bridge ever saw would cost a goroutine per partition for
// ever. A Writer per topic, closed once idle, gives them back; the next
// write to the topic opens one again, which costs nothing but the struct
// (the connections and the metadata are the transport's, shared).
var writerIdle = time.Minute

// writers are the sink's Writers, one per topic, closed when idle.
type writers struct {
	open func() *kafkago.Writer
	idle time.Duration

	mu      sync.Mutex
	byTopic map[string]*topicWriter
	closed  bool

	stop chan struct{}
	done chan struct{}
}

type topicWriter struct {
	*kafkago.Writer
	// users are the writes in progress; the writer closes only without
	// any, so no write ever finds it closed.
	users int
	last  time.Time
}

func newWriters(open func() *kafkago.Writer) *writers {
	ws := &writers{open: open, idle: writerIdle, byTopic: make(map[string]*topicWriter), stop: make(chan struct{}), done: make(chan struct{})}
	go ws.sweepEvery(ws.idle / 2)
	return ws
}

// acquire is topic's writer, open until release.
func (ws *writers) acquire(topic string) *topicWriter {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.byTopic[topic]
	if w == nil {
		w = &topicWriter{Writer: ws.open()}
		if !ws.closed {
			ws.byTopic[topic] = w
		}
	}
	w.users++
	return w
}

func (ws *writers) release(w *topicWriter) {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w.users--
	w.last = time.Now()
}

func (ws *writers) sweepEvery(every time.Duration) {
	defer close(ws.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ws.stop:
			return
		case now := <-tick.C:
			ws.sweep(now)
		}
	}
}

// sweep closes the writers unused for ws.idle.
func (ws *writers) sweep(now time.Time) {
	var idle []*topicWriter
	ws.mu.Lock()
	for topic, w := range ws.byTopic {
		if w.users == 0 && now.Sub(w.last) >= ws.idle {
			delete(ws.byTopic, topic)
			idle = append(idle, w)
		}
	}
	ws.mu.Unlock()
	// Nothing is queued in them: a synchronous write returns only once
	// its batch is done.
	for _, w := range idle {
		_ = w.Close()
	}
}

// count is the number of open writers.
func (ws *writers) count() int {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return len(ws.byTopic)
}

// stats sums the open writers' counters since the previous call.
func (ws *writers) stats() kafkago.WriterStats {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	var sum kafkago.WriterStats
	for _, w := range ws.byTopic {
		st := w.Stats()
		sum.Writes += st.Writes
		sum.Messages += st.Messages
		sum.Errors += st.Errors
	}
	return sum
}

// close stops sweeping and closes every writer; the writes were over
// (Close waited for them, or cut their connections).
func (ws *writers) close() {
	close(ws.stop)
	<-ws.done
	ws.mu.Lock()
	ws.closed = true
	all := ws.byTopic
	ws.byTopic = map[string]*topicWriter{}
	ws.mu.Unlock()
	for _, w := range all {
		_ = w.Close()
	}
}
