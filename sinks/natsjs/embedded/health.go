package embedded

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// A JetStream file store that fails a write (a full disk, a store error)
// keeps its stream up but never acknowledges again, and freeing space does
// not help: only restarting JetStream reopens the store. The embedded
// server's owner can do that, so it watches for the failure and heals it
// once there is room again.

const (
	// watchInterval is how often a broken store is looked at: recovery
	// comes within this of the space being freed.
	watchInterval = 2 * time.Second
	// minHealSpace is the least free space worth restarting the store for.
	minHealSpace = 8 << 20
	// maxFailedHeals is how many restarts in a row may fail before the
	// process is declared unable to recover, for the orchestrator to
	// restart it.
	maxFailedHeals = 15
)

// isStoreFailure recognizes the server's log lines of a failed store
// write. The server reports these only in its log; the strings are those
// of nats-server's filestore and stream code.
func isStoreFailure(msg string) bool {
	return strings.Contains(msg, "critical write error") ||
		strings.Contains(msg, "failed to store a msg") ||
		strings.Contains(msg, "out of space") ||
		strings.Contains(msg, "no space left on device")
}

// storeHealth is what the embedded store's watcher knows.
type storeHealth struct {
	mu sync.Mutex
	// failure is the server's message while the store is broken.
	failure string
	since   time.Time
	// failedHeals counts restarts that did not bring JetStream back.
	failedHeals int
}

func (h *storeHealth) fail(msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failure == "" {
		h.since = time.Now()
	}
	h.failure = msg
}

func (h *storeHealth) state() (failure string, since time.Time, failedHeals int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.failure, h.since, h.failedHeals
}

// ErrStoreFailed means the embedded server's store failed a write and is
// not healed yet.
var ErrStoreFailed = errors.New("the embedded JetStream store failed a write")

// StoreFault is non-nil while the store is broken: publishes would wait
// for acknowledgements that never come.
func (e *Server) StoreFault() error {
	failure, since, _ := e.health.state()
	if failure == "" {
		return nil
	}
	return fmt.Errorf("%w %s ago (%s); it is restarted once its file system has %d MiB free",
		ErrStoreFailed, time.Since(since).Round(time.Second), failure, e.healAt>>20)
}

// Live is non-nil when the server cannot recover by itself: it stopped, or
// JetStream would not come back after a store failure, time after time.
func (e *Server) Live() error {
	if !e.Running() {
		return errors.New("the embedded NATS server is not running")
	}
	if _, _, n := e.health.state(); n >= maxFailedHeals {
		return fmt.Errorf("the embedded JetStream store could not be restarted after a failure (%d attempts)", n)
	}
	return nil
}

func (e *Server) watch() {
	defer close(e.done)
	t := time.NewTicker(watchInterval)
	defer t.Stop()
	for {
		select {
		case <-e.stop:
			return
		case <-t.C:
			e.heal()
		}
	}
}

// heal restarts JetStream on the same store once a failed store has room
// again. The streams are recovered from disk, as at a process restart.
func (e *Server) heal() {
	failure, _, _ := e.health.state()
	if failure == "" {
		return
	}
	if free, known := freeSpace(e.storeDir); known && free < e.healAt {
		return
	}
	e.log.Warn().Msg("restarting the embedded JetStream store after a write failure")
	if err := e.ShutdownJetStream(); err != nil {
		e.log.Error().Err(err).Msg("stopping JetStream")
	}
	err := e.EnableJetStream(&server.JetStreamConfig{StoreDir: e.storeDir})
	e.health.mu.Lock()
	defer e.health.mu.Unlock()
	if err != nil {
		e.health.failedHeals++
		e.log.Error().Err(err).Int("attempt", e.health.failedHeals).Msg("restarting JetStream")
		return
	}
	e.health.failure, e.health.failedHeals = "", 0
	e.log.Info().Msg("embedded JetStream store restarted; storing again")
}
