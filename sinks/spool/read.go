package spool

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/hirebridge/hirebridge/sinks"
)

// Reading a spool directory while no bridge runs on it, for `hirebridge
// spool list` and `export`. Every read is read-only and survives a damaged
// file as ReadFile does.

// Quarantined is one record of the quarantine.
type Quarantined struct {
	Salvaged
	Reason, Detail string
	// At is when it was quarantined.
	At time.Time
}

// Queued calls fn with each record waiting in dir's spool, in order.
func Queued(dir string, verify func(*sinks.Message) bool, fn func(Salvaged) error) (FileReport, error) {
	return ReadFile(filepath.Join(dir, FileName), verify, fn)
}

// ReadQuarantine calls fn with each record of dir's quarantine, in the
// order they were accepted.
func ReadQuarantine(dir string, fn func(Quarantined) error) error {
	db, err := openDamaged(filepath.Join(dir, FileName))
	if err != nil {
		return err
	}
	defer closeDamaged(db)
	var skipped bool
	return walk(db, bucketQuarantine, bucketQuarantineBodies, &skipped, func(seq uint64, raw, body []byte) error {
		q := Quarantined{Salvaged: Salvaged{Seq: seq, Raw: raw, Body: body, AcceptedAt: acceptedAt(raw)}}
		q.Msg, _, q.Err = decode(raw, body)
		var why quarantineWhy
		_ = guarded(func() error {
			return db.View(func(tx *bolt.Tx) error {
				if b := tx.Bucket(bucketQuarantineWhy); b != nil {
					_ = json.Unmarshal(b.Get(seqKey(seq)), &why)
				}
				return nil
			})
		})
		q.Reason, q.Detail = why.Reason, why.Detail
		if why.At != 0 {
			q.At = time.Unix(0, why.At)
		}
		return fn(q)
	})
}

// MovedAsideFiles lists the damaged store files moved aside in dir, oldest
// first.
func MovedAsideFiles(dir string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, FileName+MovedAsideSuffix+"*"))
	sort.Strings(files)
	return files, err
}
