package spool

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"
	bolt "go.etcd.io/bbolt"

	"github.com/hirebridge/hirebridge/sinks"
)

// Recovery is what Open found of the store an earlier run left, when it
// was not simply there and whole.
type Recovery struct {
	// Problem says what was wrong; empty when nothing was.
	Problem string
	// MovedAside is where the damaged file now is; empty when none was
	// moved.
	MovedAside string
	// Readable is how many records the moved file still holds that
	// `hirebridge spool salvage` can forward; Damaged how many more were
	// found but cannot be; Skipped is set when parts could not be read.
	Readable, Damaged int64
	Skipped           bool
	// LastKnown is how many events the spool held when its totals were
	// last written (StateName), -1 when unknown.
	LastKnown int64
}

// MovedAsideSuffix starts the name a damaged store file is given, followed
// by the time it was moved in UTC: spool.db.corrupt-20261206T230405Z.
const MovedAsideSuffix = ".corrupt-"

// recoverStore makes the store file in dir fit to open: a file bbolt
// cannot open or read through (truncated, garbled, panicking) is moved
// aside, and a missing or empty one is told apart from a new spool by the
// totals kept beside it. The caller logs the returned Recovery.
func recoverStore(dir string, verify func(*sinks.Message) bool) (Recovery, error) {
	rec := Recovery{LastKnown: -1}
	if st, ok := readState(dir); ok {
		rec.LastKnown = st.Events
	}
	path := filepath.Join(dir, FileName)
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if rec.LastKnown > 0 {
			rec.Problem = fmt.Sprintf("the spool file %s is missing, but the spool held %d events when it was last seen", path, rec.LastKnown)
		}
		return rec, nil
	case err != nil:
		return rec, fmt.Errorf("reading the spool store %s: %w", path, err)
	case fi.Size() == 0:
		// bbolt would take it for a new store and write one over it.
		rec.Problem = fmt.Sprintf("the spool file %s is empty (0 bytes)", path)
		return rec, moveAside(path, &rec)
	}
	if err := inspect(path); err != nil {
		rec.Problem = fmt.Sprintf("the spool file %s cannot be read: %v", path, err)
		if err := moveAside(path, &rec); err != nil {
			return rec, err
		}
		r := countFile(rec.MovedAside, verify)
		rec.Readable, rec.Damaged, rec.Skipped = r.Readable, r.Damaged, r.Skipped
	}
	return rec, nil
}

// inspect opens the file and reads it through: its size against the
// pages its meta page counts (a truncated file is short), then every key
// and value of every bucket, each byte touched, so that a page beyond the
// end or a garbled tree panics here rather than in the forwarder. (bbolt's
// own Tx.Check runs in a goroutine of its own, where a panic cannot be
// recovered.) Any error or panic means the file cannot be trusted as the
// queue.
func inspect(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if err := checkTree(path); err != nil {
		return err
	}
	db, err := openDamaged(path)
	if err != nil {
		return err
	}
	defer closeDamaged(db)
	return guarded(func() error {
		tx, err := db.Begin(false)
		if err != nil {
			return err
		}
		defer func() { _ = guarded(tx.Rollback) }()
		if tx.Size() > fi.Size() {
			return fmt.Errorf("the file is %d bytes, shorter than the %d its pages take: truncated", fi.Size(), tx.Size())
		}
		// A fault comes with the first byte of a page beyond the end of
		// the file: one byte a page, and the last, is enough.
		var sum byte
		touch := func(b []byte) {
			for i := 0; i < len(b); i += 4096 {
				sum ^= b[i]
			}
			if len(b) > 0 {
				sum ^= b[len(b)-1]
			}
		}
		err = tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				touch(k)
				touch(v)
				return nil
			})
		})
		if err != nil {
			return err
		}
		recs, bodies := tx.Bucket(bucketRecords), tx.Bucket(bucketBodies)
		if recs == nil {
			return nil
		}
		if bodies == nil {
			return errors.New("no bucket of bodies")
		}
		_ = sum
		return recs.ForEach(func(k, _ []byte) error {
			if bodies.Get(k) == nil {
				return fmt.Errorf("record %x has no body", k)
			}
			return nil
		})
	})
}

// moveAside renames the damaged file with the time, never over another.
func moveAside(path string, rec *Recovery) error {
	to := path + MovedAsideSuffix + time.Now().UTC().Format("20060102T150405Z")
	for i := 2; ; i++ {
		if _, err := os.Lstat(to); errors.Is(err, fs.ErrNotExist) {
			break
		}
		to = fmt.Sprintf("%s%s%s-%d", path, MovedAsideSuffix, time.Now().UTC().Format("20060102T150405Z"), i)
	}
	if err := os.Rename(path, to); err != nil {
		return fmt.Errorf("moving the damaged spool file %s aside: %w", path, err)
	}
	rec.MovedAside = to
	return nil
}

// reportRecovery says, as one error line, what Open found wrong with the
// store an earlier run left and what it did about it.
func reportRecovery(log zerolog.Logger, rec Recovery) {
	if rec.Problem == "" {
		return
	}
	e := log.Error().Str("problem", rec.Problem)
	if rec.LastKnown >= 0 {
		e = e.Int64("last_known_events", rec.LastKnown)
	}
	if rec.MovedAside == "" {
		e.Msg("the spool's file is gone: the events it held are lost unless it is restored; started with an empty spool")
		return
	}
	e = e.Str("moved_to", rec.MovedAside).Int64("readable_records", rec.Readable).Int64("damaged_records", rec.Damaged)
	if rec.Skipped {
		e = e.Bool("unreadable_stretches", true)
	}
	e.Msgf("moved the spool's damaged file aside and started with a fresh spool; `hirebridge spool salvage %s` forwards the %d records it still holds", rec.MovedAside, rec.Readable)
}

// Missing is how many events the spool held when last seen that the
// start could not find, neither in the store nor readable in a file moved
// aside: 0 when unknown.
func (r Recovery) Missing() int64 {
	if r.Problem == "" || r.LastKnown <= 0 {
		return 0
	}
	return max(r.LastKnown-r.Readable, 0)
}
