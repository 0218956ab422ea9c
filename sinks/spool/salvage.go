package spool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"

	"github.com/hirebridge/hirebridge/sinks"
)

// Reading a store file that may be damaged. bbolt has no checksums on its
// data pages and trusts its page tree: a truncated or garbled file makes it
// panic, or fault on a page beyond the end of the file. Every read of such
// a file runs with faults turned into panics, each in a transaction of its
// own that a recover closes; a damaged stretch of the tree is stepped over
// by seeking further and further ahead, so the records beyond it are still
// read.

// Salvaged is one record read back from a store file.
type Salvaged struct {
	Seq uint64
	// Msg is the message, checked against its checksum (and its id, with
	// a verify function); nil when Err says why it cannot be forwarded.
	Msg *sinks.Message
	Err error
	// AcceptedAt is when the spool took it, Unix nanoseconds; 0 when unknown.
	AcceptedAt int64
	// Raw and Body are the stored bytes, as they are.
	Raw, Body []byte
}

// FileReport counts what a read of a store file found.
type FileReport struct {
	// Readable records decoded and checked out; Damaged ones were found
	// but did not (corrupt, or of an unknown version: see each Err).
	Readable, Damaged int64
	// Skipped is set when bbolt could not walk the whole file: the
	// records were then read from its pages, those that check out
	// counted as Readable, the rest not counted at all.
	Skipped bool
}

// ReadFile reads every record a store file at path still holds, in the
// order they were accepted, and calls fn with each. It never writes to
// the file. verify, when set, is the id check (Config.Verify). When bbolt
// cannot walk the whole file, the records are read from its pages instead
// (pages.go), and fn gets only those that check out. It fails only when
// the file cannot be read at all, or fn fails.
func ReadFile(path string, verify func(*sinks.Message) bool, fn func(Salvaged) error) (FileReport, error) {
	rep, err := walkFile(path, verify, nil)
	if err == nil && !rep.Skipped {
		return walkFile(path, verify, fn)
	}
	recs, n, serr := scanPages(path, verify, true)
	if serr != nil {
		return rep, errors.Join(err, serr)
	}
	rep = FileReport{Readable: n, Skipped: true}
	for _, s := range recs {
		if err := fn(s); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// countFile is ReadFile's count of readable records, in bounded memory:
// where bbolt cannot walk the file, the records whose checksum holds.
func countFile(path string, verify func(*sinks.Message) bool) FileReport {
	rep, err := walkFile(path, verify, nil)
	if err == nil && !rep.Skipped {
		return rep
	}
	_, n, _ := scanPages(path, verify, false)
	return FileReport{Readable: n, Skipped: true}
}

// walkFile reads the file through bbolt's tree, stepping over what
// panics; fn may be nil to count only.
func walkFile(path string, verify func(*sinks.Message) bool, fn func(Salvaged) error) (FileReport, error) {
	var rep FileReport
	db, err := openDamaged(path)
	if err != nil {
		return rep, err
	}
	defer closeDamaged(db)
	err = walk(db, bucketRecords, bucketBodies, &rep.Skipped, func(seq uint64, raw, body []byte) error {
		s := Salvaged{Seq: seq, Raw: raw, Body: body, AcceptedAt: acceptedAt(raw)}
		s.Msg, _, s.Err = decode(raw, body)
		if s.Err == nil && verify != nil && !verify(s.Msg) {
			s.Msg, s.Err = nil, errIDMismatch
		}
		if s.Err == nil {
			rep.Readable++
		} else {
			rep.Damaged++
		}
		if fn == nil {
			return nil
		}
		return fn(s)
	})
	return rep, err
}

// errIDMismatch is a record whose checksum holds but whose body does not
// derive to its id: damaged before it was written, or written by a build
// without checksums. Either way its id cannot be trusted.
var errIDMismatch = fmt.Errorf("%w: its body does not hash to its id", errCorrupt)

// openDamaged opens a store file read-only, a panic becoming an error.
func openDamaged(path string) (db *bolt.DB, err error) {
	err = guarded(func() error {
		var oerr error
		db, oerr = bolt.Open(path, 0o640, boltOptions(true))
		return oerr
	})
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	return db, nil
}

func closeDamaged(db *bolt.DB) { _ = guarded(db.Close) }

// errPanicked wraps what a damaged file made bbolt panic with.
var errPanicked = errors.New("the store panicked")

// guarded runs f with memory faults turned into panics, and a panic into
// an error.
func guarded(f func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", errPanicked, r)
		}
	}()
	return f()
}

// walk calls fn for each key of bucket in order, with its value and the
// value under the same key in the bucket of bodies, stepping over
// stretches that panic. skipped is set when it stepped over one.
func walk(db *bolt.DB, bucket, bodies []byte, skipped *bool, fn func(seq uint64, raw, body []byte) error) error {
	var end uint64 = math.MaxUint64
	_ = guarded(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if b := tx.Bucket(bucket); b != nil {
				end = b.Sequence()
			}
			return nil
		})
	})
	from, step := uint64(1), uint64(1)
	for {
		last, fnErr, err := scan(db, bucket, bodies, from, fn)
		if fnErr != nil {
			return fnErr
		}
		if err == nil {
			return nil
		}
		*skipped = true
		if last >= from {
			// Read on right after the last good key.
			from, step = last+1, 1
			continue
		}
		// Step over the damage: further each time it goes on.
		if from >= end || from+step < from {
			return nil
		}
		from += step
		step *= 2
	}
}

// scan reads from the key from on, in one transaction; last is the last
// key handed to fn, err what stopped the read early (a panic), fnErr what
// fn returned.
func scan(db *bolt.DB, bucket, bodies []byte, from uint64, fn func(uint64, []byte, []byte) error) (last uint64, fnErr, err error) {
	err = guarded(func() error {
		tx, err := db.Begin(false)
		if err != nil {
			return err
		}
		defer func() { _ = guarded(tx.Rollback) }()
		recs, bods := tx.Bucket(bucket), tx.Bucket(bodies)
		if recs == nil {
			return nil
		}
		c := recs.Cursor()
		for k, v := c.Seek(seqKey(from)); k != nil; k, v = c.Next() {
			if len(k) != 8 {
				continue
			}
			seq := binary.BigEndian.Uint64(k)
			var body []byte
			if bods != nil {
				body = append([]byte(nil), bods.Get(k)...)
			}
			if fnErr = fn(seq, append([]byte(nil), v...), body); fnErr != nil {
				return nil
			}
			last = seq
		}
		return nil
	})
	return last, fnErr, err
}
