package spool

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// FileName is the store's file in the spool directory.
const FileName = "spool.db"

var (
	// bucketRecords holds the records, keyed by an 8-byte big-endian
	// sequence number: a cursor walks them in acceptance order.
	bucketRecords = []byte("records")
	// bucketBodies holds each record's body under the same key.
	bucketBodies = []byte("bodies")
	// bucketMeta holds the totals, kept in the same transactions as the
	// records, so they are right after any crash.
	bucketMeta = []byte("meta")
	keyCount   = []byte("count")
	keyBytes   = []byte("bytes")
	// The quarantine holds records taken out of the queue that nothing can
	// forward (corrupt, of an unknown format version, refused by the
	// broker and by its dead letters too): the record's bytes and body as
	// they were, under their sequence number, and why, as JSON.
	bucketQuarantine       = []byte("quarantine")
	bucketQuarantineBodies = []byte("quarantine-bodies")
	bucketQuarantineWhy    = []byte("quarantine-why")
	keyQuarantined         = []byte("quarantined")
)

// maxOpsPerCommit bounds one commit, so a flood of writes is answered in
// steps rather than all after one long transaction.
const maxOpsPerCommit = 512

// errStoreClosed answers a write that came after close.
var errStoreClosed = errors.New("the spool is closed")

// store is the spool's durable queue on bbolt. One goroutine commits: it
// takes every write waiting and commits them in one synced transaction
// (group commit), so concurrent writers share a sync, and a lone writer
// waits for one commit, with no timer added.
type store struct {
	db  *bolt.DB
	ops chan *op
	// mu orders sends on ops against close.
	mu     sync.RWMutex
	closed bool
	done   chan struct{}

	// What the store holds, as of the last commit.
	count  atomic.Int64
	bytes  atomic.Int64
	oldest atomic.Int64 // Unix nanoseconds; 0 when empty
	// quarantined is how many records the quarantine holds.
	quarantined atomic.Int64

	// state keeps the totals beside the file, for the next start to tell
	// a vanished spool from an empty one.
	state *stateFile

	// beforeCommit, when set (by tests only), runs before each commit:
	// it holds the committer as a stalled disk would, or fails the
	// commit with its error.
	beforeCommit atomic.Pointer[func() error]
}

// op is one write: an append (rec set, settled and answered on done by
// the commit), the removal of a forwarded record (seq set, nobody waits),
// or its move to the quarantine (seq and why set, nobody waits).
type op struct {
	rec    []byte
	body   []byte
	seq    uint64
	size   int64
	why    []byte
	settle func(error)
	done   chan error
}

// entry is a record read back for forwarding.
type entry struct {
	seq       uint64
	raw, body []byte
}

// boltOptions are the store's: the binary locks the directory first and
// names the holder, so the timeout only keeps a second opener from waiting
// forever; the free list is rebuilt at open rather than written at every
// commit, less to sync per spooled request.
func boltOptions(readOnly bool) *bolt.Options {
	return &bolt.Options{Timeout: time.Second, NoFreelistSync: true, FreelistType: bolt.FreelistMapType, ReadOnly: readOnly}
}

// openStore opens the store file in dir, which recovery (recover.go) has
// found whole or made fresh, and creates its buckets.
func openStore(dir string) (*store, error) {
	path := filepath.Join(dir, FileName)
	var db *bolt.DB
	// Recovery checked the file; a panic that still comes is an error.
	err := guarded(func() (err error) {
		db, err = bolt.Open(path, 0o640, boltOptions(false))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("opening the spool store %s: %w", path, err)
	}
	s := &store{db: db, ops: make(chan *op, maxOpsPerCommit), done: make(chan struct{}), state: newStateFile(dir)}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketRecords, bucketBodies, bucketMeta, bucketQuarantine, bucketQuarantineBodies, bucketQuarantineWhy} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		// The records are counted again rather than their count trusted:
		// a byte flipped in it would hide records from the forwarder. The
		// byte total is kept when it is plausible (at most what the
		// records take as stored), since counting it again means decoding
		// every record.
		recs, bodies, meta := tx.Bucket(bucketRecords), tx.Bucket(bucketBodies), tx.Bucket(bucketMeta)
		var count, stored int64
		err := recs.ForEach(func(k, v []byte) error {
			count++
			stored += int64(len(v) + len(bodies.Get(k)))
			return nil
		})
		if err != nil {
			return err
		}
		size := getInt(meta, keyBytes)
		if count != getInt(meta, keyCount) || size < 0 || size > stored {
			size = 0
			err := recs.ForEach(func(k, v []byte) error {
				size += storedSize(v, bodies.Get(k))
				return nil
			})
			if err != nil {
				return err
			}
		}
		quarantined := int64(tx.Bucket(bucketQuarantine).Stats().KeyN)
		for k, n := range map[string]int64{string(keyCount): count, string(keyBytes): size, string(keyQuarantined): quarantined} {
			if err := putInt(meta, []byte(k), n); err != nil {
				return err
			}
		}
		s.count.Store(count)
		s.bytes.Store(size)
		s.quarantined.Store(quarantined)
		s.oldest.Store(firstAt(recs))
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("reading the spool store: %w", err)
	}
	s.state.write(s.count.Load(), s.bytes.Load())
	go s.commit()
	return s, nil
}

// append stores rec and body with the next commit, and returns once they
// are synced to disk, or when ctx ends first. settle is called exactly
// once with what became of them, nil once synced: by the committer when
// the write was queued, whether or not the caller still waits. What the
// caller counted for the record is so settled by its fate, not by how long
// the caller waited: a record committed after its caller gave up is in the
// spool, and one that failed is not.
func (s *store) append(ctx context.Context, rec, body []byte, size int64, settle func(error)) error {
	o := &op{rec: rec, body: body, size: size, settle: settle, done: make(chan error, 1)}
	if err := s.queue(ctx, o); err != nil {
		settle(err)
		return err
	}
	select {
	case err := <-o.done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-o.done:
		// Committed meanwhile: the answer stands.
		return err
	default:
		return fmt.Errorf("%w: %w", errUnconfirmed, ctx.Err())
	}
}

// errUnconfirmed answers an append whose caller stopped waiting after the
// write was queued: it may yet be stored, and then forwarded.
var errUnconfirmed = errors.New("the write to the spool was not confirmed in time (a slow or stalled disk?); it may yet be stored, and then forwarded")

// queue hands o to the committer, unless the store is closed or ctx ends
// first (the committer is behind: a stalled disk).
func (s *store) queue(ctx context.Context, o *op) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return errStoreClosed
	}
	if err := ctx.Err(); err != nil {
		// Not queued: select would pick a ready send half the time.
		return err
	}
	select {
	case s.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// remove deletes a forwarded record with the next commit; nobody waits for
// it. A crash before that commit leaves the record to be forwarded again,
// which the broker's duplicate detection drops on NATS.
func (s *store) remove(seq uint64, size int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.closed {
		s.ops <- &op{seq: seq, size: size}
	}
}

// quarantine moves a record the forwarder cannot send out of the queue
// with the next commit, why being a JSON quarantineWhy; nobody waits for
// it. A crash before that commit leaves it to be judged again.
func (s *store) quarantine(seq uint64, size int64, why []byte) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !s.closed {
		s.ops <- &op{seq: seq, size: size, why: why}
	}
}

// read returns up to max records after the sequence number after, oldest
// first, copied out of the transaction.
func (s *store) read(after uint64, max int) ([]entry, error) {
	var out []entry
	err := s.db.View(func(tx *bolt.Tx) error {
		c, bodies := tx.Bucket(bucketRecords).Cursor(), tx.Bucket(bucketBodies)
		for k, v := c.Seek(seqKey(after + 1)); k != nil && len(out) < max; k, v = c.Next() {
			out = append(out, entry{
				seq:  binary.BigEndian.Uint64(k),
				raw:  append([]byte(nil), v...),
				body: append([]byte(nil), bodies.Get(k)...),
			})
		}
		return nil
	})
	return out, err
}

// close commits what is queued, then closes the file.
func (s *store) close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.done
	s.state.write(s.count.Load(), s.bytes.Load())
	return s.db.Close()
}

// storedSize is what a stored record counts against MaxBytes: Size of its
// message, or its bytes as stored when it no longer decodes.
func storedSize(raw, body []byte) int64 {
	if m, _, err := decode(raw, body); err == nil {
		return Size(m)
	}
	return int64(len(raw) + len(body))
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), seq) }

func getInt(b *bolt.Bucket, k []byte) int64 {
	v := b.Get(k)
	if len(v) != 8 {
		return 0
	}
	return int64(binary.BigEndian.Uint64(v))
}

func putInt(b *bolt.Bucket, k []byte, n int64) error {
	return b.Put(k, binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(n)))
}

// firstAt is when the oldest record was accepted, 0 when there is none.
func firstAt(recs *bolt.Bucket) int64 {
	_, v := recs.Cursor().First()
	if v == nil {
		return 0
	}
	return acceptedAt(v)
}
