package kafka

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/schema/events"
)

// A write whose answer never came (the attempt timed out, the connection
// broke after the request was sent) may have stored the record, or may
// still store it: a paused broker reads the request from its socket when it
// resumes, though kafka-go closed the connection (transport.go, conn.run
// closes it on any round-trip error). Writing the record again then would
// store it twice, and answering the sender's retry "duplicate" would claim
// a record nobody saw stored.
//
// The resolver settles such writes by reading the partition back: once the
// broker answers again it asks for the partition's end (a barrier: requests
// the broker held from before are handled before a request sent after this
// answer), then reads from the first record at or after the write's
// timestamp up to the end it reported next, looking for the record by its
// ce_id header (dead letters, which have none, by a hash of the body).
// Found: the record is stored, and the id is remembered like an acked one.
// Not found: the id is forgotten, and the sender's retry writes it.
//
// This is the best a producer without idempotence can do. A request still
// on its way to the broker when the read-back ends (held in a network for
// longer than that) can yet store a second copy; consumers that must act
// once dedupe on ce_id.
type resolver struct {
	client  *kafkago.Client
	win     *window
	log     zerolog.Logger
	timeout time.Duration

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	closed bool
	parts  map[topicPartition]*partitionReads

	// found and notFound count settled read-backs, for tests and logs.
	found, notFound atomic.Int64
}

type topicPartition struct {
	topic     string
	partition int
}

// partitionReads are the read-backs waiting on one partition; one goroutine
// serves them, so one read covers every record lost in one incident.
type partitionReads struct {
	pending []*readBack
}

// readBack is one record to look for.
type readBack struct {
	e  *entry
	op *op
	// from is the record's timestamp in milliseconds: it was stored, if at
	// all, at or after the first offset with that timestamp.
	from int64
	// ceID is the record's ce_id header; for records without one, digest
	// is the SHA-256 of the value.
	ceID   string
	digest *[sha256.Size]byte
}

// Read-back pacing and limits.
const (
	// timestampSlack widens the search backwards, for topics that stamp
	// records with the broker's clock (LogAppendTime) when it lags ours.
	timestampSlack   = 5 * time.Second
	readBackoffMin   = 50 * time.Millisecond
	readBackoffMax   = time.Second
	readFetchBytes   = 4 << 20
	readFetchMaxWait = 100 * time.Millisecond
	// readMaxBytes bounds one read-back: past it, records not found yet
	// count as not stored (at worst, a second copy) rather than reading
	// a busy partition without end.
	readMaxBytes = 64 << 20
)

func newResolver(client *kafkago.Client, win *window, log zerolog.Logger, timeout time.Duration) *resolver {
	ctx, cancel := context.WithCancel(context.Background())
	return &resolver{
		client:  client,
		win:     win,
		log:     log,
		timeout: timeout,
		ctx:     ctx,
		cancel:  cancel,
		parts:   make(map[topicPartition]*partitionReads),
	}
}

// add queues a read-back of the record r (as written to tp) for e's op.
func (r *resolver) add(tp topicPartition, e *entry, o *op, rec kafkago.Message, hasCE bool) {
	rb := &readBack{e: e, op: o, from: rec.Time.UnixMilli()}
	if hasCE {
		rb.ceID = e.id
	} else {
		d := sha256.Sum256(rec.Value)
		rb.digest = &d
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		r.win.finishRead(e, o, false, errClosedRead)
		return
	}
	q, running := r.parts[tp]
	if !running {
		q = &partitionReads{}
		r.parts[tp] = q
		r.wg.Add(1)
		go r.run(tp)
	}
	q.pending = append(q.pending, rb)
	r.mu.Unlock()
}

var errClosedRead = errors.New("sink closed before the record was read back")

// take returns the read-backs queued for tp since the last take. Only tp's
// goroutine takes, and only it removes tp from parts, when it ends.
func (r *resolver) take(tp topicPartition) []*readBack {
	r.mu.Lock()
	defer r.mu.Unlock()
	q := r.parts[tp]
	batch := q.pending
	q.pending = nil
	return batch
}

func (r *resolver) run(tp topicPartition) {
	defer r.wg.Done()
	var batch []*readBack
	retry := backoff.New(readBackoffMin, readBackoffMax)
	for failures := 0; ; {
		batch = append(batch, r.take(tp)...)
		// Ids the window evicted meanwhile are not worth a read.
		live := batch[:0]
		for _, rb := range batch {
			if r.win.alive(rb.e) {
				live = append(live, rb)
			} else {
				r.win.finishRead(rb.e, rb.op, false, errNotStored)
			}
		}
		clear(batch[len(live):])
		batch = live
		if len(batch) == 0 {
			if r.takeNone(tp) {
				return
			}
			continue
		}
		found, err := r.read(tp, batch)
		if err == nil {
			n := 0
			for i, rb := range batch {
				r.win.finishRead(rb.e, rb.op, found[i], nil)
				if found[i] {
					n++
				}
			}
			r.found.Add(int64(n))
			r.notFound.Add(int64(len(batch) - n))
			r.log.Info().Str("topic", tp.topic).Int("partition", tp.partition).Int("found", n).Int("not_found", len(batch)-n).
				Msg("read back records whose write got no answer: found ones are stored, the others will be written on retry")
			batch, failures = batch[:0], 0
			retry.Reset()
			continue
		}
		if failures++; failures == 1 || failures%30 == 0 {
			r.log.Warn().Err(err).Str("topic", tp.topic).Int("partition", tp.partition).Int("records", len(batch)).
				Msg("cannot read back records whose write got no answer yet; their retries wait")
		}
		if !retry.Wait(r.ctx) {
			for _, rb := range batch {
				r.win.finishRead(rb.e, rb.op, false, errClosedRead)
			}
			for _, rb := range r.take(tp) {
				r.win.finishRead(rb.e, rb.op, false, errClosedRead)
			}
			r.takeNone(tp)
			return
		}
	}
}

// takeNone ends tp's goroutine unless read-backs arrived meanwhile.
func (r *resolver) takeNone(tp topicPartition) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	q, ok := r.parts[tp]
	if !ok {
		return true
	}
	if len(q.pending) == 0 {
		delete(r.parts, tp)
		return true
	}
	return false
}

// read looks for each record of batch in tp and reports which it found.
func (r *resolver) read(tp topicPartition, batch []*readBack) ([]bool, error) {
	found := make([]bool, len(batch))
	// The barrier, and whether the partition still exists: a topic
	// deleted or a broker that lost its store holds none of them.
	bctx, bcancel := context.WithTimeout(r.ctx, r.timeout)
	end, err := r.offset(bctx, tp, kafkago.LastOffsetOf(tp.partition))
	bcancel()
	if errors.Is(err, kafkago.UnknownTopicOrPartition) {
		return found, nil
	}
	if err != nil {
		return nil, err
	}
	from := batch[0].from
	for _, rb := range batch[1:] {
		from = min(from, rb.from)
	}
	ctx, cancel := context.WithTimeout(r.ctx, 4*r.timeout)
	defer cancel()
	at := time.UnixMilli(from).Add(-timestampSlack)
	start, err := r.offset(ctx, tp, kafkago.TimeOffsetOf(tp.partition, at))
	if err != nil {
		return nil, err
	}
	if start < 0 {
		// No record at or after that time.
		return found, nil
	}

	byID := make(map[string][]int)
	byDigest := make(map[[sha256.Size]byte][]int)
	for i, rb := range batch {
		if rb.digest != nil {
			byDigest[*rb.digest] = append(byDigest[*rb.digest], i)
		} else {
			byID[rb.ceID] = append(byID[rb.ceID], i)
		}
	}
	left := len(batch)
	mark := func(is []int) {
		for _, i := range is {
			if !found[i] {
				found[i] = true
				left--
			}
		}
	}

	hw := int64(-1)
	read := 0
	for off := start; left > 0 && (hw < 0 || off < hw); {
		if read > readMaxBytes {
			r.log.Warn().Str("topic", tp.topic).Int("partition", tp.partition).Int("bytes", read).Int("not_found", left).
				Msg("read-back stopped at its size limit: records not found by then will be written again on retry")
			break
		}
		res, err := r.client.Fetch(ctx, &kafkago.FetchRequest{
			Topic: tp.topic, Partition: tp.partition, Offset: off,
			MinBytes: 1, MaxBytes: readFetchBytes, MaxWait: readFetchMaxWait,
		})
		if err != nil {
			return nil, err
		}
		switch {
		case res.Error == nil:
		case errors.Is(res.Error, kafkago.OffsetOutOfRange), errors.Is(res.Error, kafkago.UnknownTopicOrPartition):
			// Truncated, or the topic is gone: what was there is not
			// stored any more.
			return found, nil
		default:
			return nil, fmt.Errorf("fetching %s/%d at %d: %w", tp.topic, tp.partition, off, res.Error)
		}
		if hw < 0 {
			// The end as of a request sent after the barrier. end is
			// the floor, should the broker report less.
			hw = max(res.HighWatermark, end)
		}
		next := off
		for {
			rec, err := res.Records.ReadRecord()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s/%d at %d: %w", tp.topic, tp.partition, next, err)
			}
			if rec.Offset < off {
				continue
			}
			next = rec.Offset + 1
			if rec.Key != nil {
				read += rec.Key.Len()
			}
			if rec.Value != nil {
				read += rec.Value.Len()
			}
			if len(byID) > 0 {
				for _, h := range rec.Headers {
					if h.Key == events.Kafka.ID {
						mark(byID[string(h.Value)])
					}
				}
			}
			if len(byDigest) > 0 && rec.Value != nil {
				h := sha256.New()
				if _, err := io.Copy(h, rec.Value); err != nil {
					return nil, err
				}
				var d [sha256.Size]byte
				h.Sum(d[:0])
				mark(byDigest[d])
			}
		}
		if next == off {
			// Nothing past off though the end is further (transaction
			// markers only, say): the rest holds no record of ours.
			break
		}
		off = next
	}
	return found, nil
}

// offset asks tp's leader for one offset: the end, or the first at a time
// (-1 when there is none).
func (r *resolver) offset(ctx context.Context, tp topicPartition, q kafkago.OffsetRequest) (int64, error) {
	res, err := r.client.ListOffsets(ctx, &kafkago.ListOffsetsRequest{
		Topics: map[string][]kafkago.OffsetRequest{tp.topic: {q}},
	})
	if err != nil {
		return 0, err
	}
	for _, p := range res.Topics[tp.topic] {
		if p.Partition != tp.partition {
			continue
		}
		if p.Error != nil {
			return 0, p.Error
		}
		if q.Timestamp == kafkago.LastOffset {
			return p.LastOffset, nil
		}
		for o := range p.Offsets {
			return o, nil
		}
		return -1, nil
	}
	return 0, fmt.Errorf("listing offsets of %s/%d: no answer for the partition", tp.topic, tp.partition)
}

// close stops the read-backs; the ids they were settling are forgotten.
func (r *resolver) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel()
	r.wg.Wait()
}
