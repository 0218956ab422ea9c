package spool

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// SalvagedSuffix names the note `hirebridge spool salvage` leaves beside a
// file it forwarded: what became of its records. The bridge reads the notes
// in its spool directory for /metrics, so a damaged file moved aside at
// start shows as salvageable until it is salvaged, and as salvaged after.
const SalvagedSuffix = ".salvaged"

// SalvageNote is what a salvage of one file did, by outcome: published,
// already_published (the broker held it), dead_lettered, refused, damaged,
// failed, not_tried.
type SalvageNote struct {
	At       string         `json:"at"`
	Outcomes map[string]int `json:"outcomes"`
}

// WriteSalvageNote records what a salvage of file did, beside it.
func WriteSalvageNote(file string, outcomes map[string]int) error {
	b, err := json.Marshal(SalvageNote{At: time.Now().UTC().Format(time.RFC3339), Outcomes: outcomes})
	if err != nil {
		return err
	}
	return os.WriteFile(file+SalvagedSuffix, b, 0o640)
}

// salvaged is how many records of the files moved aside in dir a salvage
// put on the broker (published, already there, or dead-lettered), and
// whether file was salvaged at all; read at most once a scrape interval.
type salvagedNotes struct {
	dir string

	mu      sync.Mutex
	read    time.Time
	forward int64
	done    map[string]bool
}

const salvageNotesEvery = 2 * time.Second

func (s *salvagedNotes) totals() (forwarded int64, done map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if time.Since(s.read) < salvageNotesEvery && s.done != nil {
		return s.forward, s.done
	}
	s.read, s.forward, s.done = time.Now(), 0, map[string]bool{}
	notes, _ := filepath.Glob(filepath.Join(s.dir, FileName+MovedAsideSuffix+"*"+SalvagedSuffix))
	for _, n := range notes {
		b, err := os.ReadFile(n)
		if err != nil {
			continue
		}
		var note SalvageNote
		if json.Unmarshal(b, &note) != nil {
			continue
		}
		s.forward += int64(note.Outcomes["published"] + note.Outcomes["already_published"] + note.Outcomes["dead_lettered"])
		s.done[n[:len(n)-len(SalvagedSuffix)]] = true
	}
	return s.forward, s.done
}
