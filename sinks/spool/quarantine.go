package spool

import (
	"encoding/json"
	"errors"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Why a record is in the quarantine: the reason label of
// hirebridge_spool_quarantined_total, and the reason `hirebridge spool
// list` shows.
const (
	// QuarantineCorrupt is a record whose bytes changed on disk: its
	// checksum fails, it does not decode, or its body no longer hashes to
	// its id. It is never published.
	QuarantineCorrupt = "corrupt"
	// QuarantineVersion is a record of a format version this build does
	// not read (written by a newer build, before a rollback).
	QuarantineVersion = "unknown_version"
	// QuarantineRefused is an event the broker refused for good whose dead
	// letter it refused too.
	QuarantineRefused = "refused"
)

var quarantineReasons = []string{QuarantineCorrupt, QuarantineVersion, QuarantineRefused}

// quarantineWhy is stored beside a quarantined record.
type quarantineWhy struct {
	Reason string `json:"reason"`
	Detail string `json:"detail"`
	// At is when it was quarantined, Unix nanoseconds.
	At int64 `json:"at"`
}

// quarantineCounts counts the records quarantined by this process, per
// reason.
type quarantineCounts struct {
	corrupt, version, refused atomic.Int64
}

func (q *quarantineCounts) of(reason string) *atomic.Int64 {
	switch reason {
	case QuarantineCorrupt:
		return &q.corrupt
	case QuarantineVersion:
		return &q.version
	default:
		return &q.refused
	}
}

// reasonOf is the quarantine reason of a record that did not decode.
func reasonOf(err error) string {
	var ve *VersionError
	if errors.As(err, &ve) {
		return QuarantineVersion
	}
	return QuarantineCorrupt
}

// quarantine takes the record e out of the queue into the quarantine,
// counts and logs it. Nothing is deleted: the store moves it in one
// transaction.
func (sp *Spool) quarantine(e entry, size int64, reason string, cause error, ev *zerolog.Event) {
	why, _ := json.Marshal(quarantineWhy{Reason: reason, Detail: cause.Error(), At: time.Now().UnixNano()})
	sp.store.quarantine(e.seq, size, why)
	sp.reserved.Add(-size)
	sp.full.Store(false)
	sp.backlog.Add(-1)
	sp.quarantines.of(reason).Add(1)
	ev.Err(cause).Uint64("seq", e.seq).Str("reason", reason).Str("dir", sp.cfg.Dir).
		Msg("a spooled record cannot be forwarded: moved to the spool's quarantine (`hirebridge spool list` shows it, `hirebridge spool export` writes it out); forwarding goes on with the next")
}
