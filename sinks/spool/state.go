package spool

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// StateName is the file beside the store that keeps its last known
// totals. bbolt takes a missing or empty file for a new store, so without
// it a spool lost while the bridge was stopped would start as an empty
// one, silently; with it the start says how many events were there.
const StateName = "spool.state"

// stateInterval bounds how often the totals are written while the spool
// works: the file is a witness for after a stop, not a second journal.
const stateInterval = time.Second

// lastKnown is what the state file holds.
type lastKnown struct {
	Events int64 `json:"events"`
	Bytes  int64 `json:"bytes"`
	// At is when it was written, RFC 3339.
	At string `json:"at"`
}

type stateFile struct {
	path string
	// last is when the totals were last written, Unix nanoseconds.
	last atomic.Int64
}

func newStateFile(dir string) *stateFile {
	return &stateFile{path: filepath.Join(dir, StateName)}
}

// maybeWrite writes the totals unless it did within stateInterval. Only
// the store's one committing goroutine calls it.
func (f *stateFile) maybeWrite(events, bytes int64) {
	if now := time.Now().UnixNano(); now-f.last.Load() >= int64(stateInterval) {
		f.write(events, bytes)
	}
}

// write replaces the file whole (a rename), so a crash leaves the old
// totals or the new, never half of either. Failing to write it costs only
// the warning it would give after a loss.
func (f *stateFile) write(events, bytes int64) {
	f.last.Store(time.Now().UnixNano())
	b, _ := json.Marshal(lastKnown{Events: events, Bytes: bytes, At: time.Now().UTC().Format(time.RFC3339)})
	tmp := f.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o640); err != nil {
		return
	}
	_ = os.Rename(tmp, f.path)
}

// readState is the totals an earlier run left, ok false when there are
// none.
func readState(dir string) (lastKnown, bool) {
	b, err := os.ReadFile(filepath.Join(dir, StateName))
	if err != nil {
		return lastKnown{}, false
	}
	var s lastKnown
	if json.Unmarshal(b, &s) != nil {
		return lastKnown{}, false
	}
	return s, true
}
