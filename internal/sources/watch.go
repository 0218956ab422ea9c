package sources

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
)

// Reload results, the result label of hirebridge_sources_reloads_total.
const (
	reloadOK     = "ok"
	reloadFailed = "failed"
)

// settle is how long the watcher lets a burst of events end before it
// reads the file: an editor's save or Kubernetes' swap is several events.
const settle = 100 * time.Millisecond

// DefaultPoll is the fallback: the file is read this often whatever the
// events say, so a change the events miss (a network filesystem, an
// overflowed queue) still lands within 10 seconds.
const DefaultPoll = 5 * time.Second

// Watcher reads the sources file again when it changes and hands each
// good version to apply; a bad one is logged, counted and ignored, and
// the last good one stays in force.
type Watcher struct {
	path     string
	defaults Defaults
	apply    func([]bridge.Source) error
	log      zerolog.Logger
	reloads  *prometheus.CounterVec
	poll     time.Duration
	// seen is the hash of the content last read, good or bad: the same
	// bytes are neither applied nor reported twice.
	seen [sha256.Size]byte
	done chan struct{}
}

// Options configure a Watcher.
type Options struct {
	Path     string
	Defaults Defaults
	// Apply takes a good version of the sources (bridge.Handler.SetSources).
	Apply func([]bridge.Source) error
	Log   zerolog.Logger
	// Registerer takes hirebridge_sources_reloads_total.
	Registerer prometheus.Registerer
	// Poll is the fallback period; DefaultPoll when zero.
	Poll time.Duration
}

// Watch watches the directory of the file, not the file: Kubernetes
// updates a mounted Secret by swapping the directory's ..data symlink,
// and editors and tools replace a file by renaming another over it; in
// both cases a watch on the file itself would follow the old inode. It
// stops when ctx is done; Done is closed then.
func Watch(ctx context.Context, o Options) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("watching %s: %w", o.Path, err)
	}
	if err := fw.Add(filepath.Dir(o.Path)); err != nil {
		fw.Close()
		return nil, fmt.Errorf("watching %s: %w", o.Path, err)
	}
	w := &Watcher{
		path: o.Path, defaults: o.Defaults, apply: o.Apply, log: o.Log, poll: o.Poll,
		reloads: promauto.With(o.Registerer).NewCounterVec(prometheus.CounterOpts{
			Name: "hirebridge_sources_reloads_total",
			Help: "Reads of HIREBRIDGE_SOURCES_FILE after a change, by result: ok (in force) or failed (the last good sources kept).",
		}, []string{"result"}),
		done: make(chan struct{}),
	}
	if w.poll <= 0 {
		w.poll = DefaultPoll
	}
	// What the service started with: not a reload, not counted.
	if data, err := os.ReadFile(o.Path); err == nil {
		w.seen = sha256.Sum256(data)
	}
	go w.run(ctx, fw)
	return w, nil
}

// Done is closed once the watcher stopped.
func (w *Watcher) Done() <-chan struct{} { return w.done }

func (w *Watcher) run(ctx context.Context, fw *fsnotify.Watcher) {
	defer close(w.done)
	defer fw.Close()
	poll := time.NewTicker(w.poll)
	defer poll.Stop()
	// settled fires once the events of a change have stopped coming.
	settled := time.NewTimer(time.Hour)
	settled.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case _, ok := <-fw.Events:
			if !ok {
				return
			}
			// Any event in the directory: Kubernetes' swap names ..data
			// and timestamped directories, never the file.
			settled.Reset(settle)
		case err, ok := <-fw.Errors:
			if !ok {
				return
			}
			w.log.Warn().Err(err).Str("file", w.path).Msg("watching the sources file; polling every " + w.poll.String() + " still")
		case <-settled.C:
			w.check()
		case <-poll.C:
			w.check()
		}
	}
}

// check reads the file and applies it if it changed.
func (w *Watcher) check() {
	data, err := os.ReadFile(w.path)
	if err != nil {
		w.failed(sha256.Sum256([]byte(err.Error())), err)
		return
	}
	sum := sha256.Sum256(data)
	if bytes.Equal(sum[:], w.seen[:]) {
		return
	}
	srcs, err := Parse(data, w.defaults)
	if err != nil {
		w.failed(sum, fmt.Errorf("%s: %w", w.path, err))
		return
	}
	if err := w.apply(srcs); err != nil {
		w.failed(sum, fmt.Errorf("%s: %w", w.path, err))
		return
	}
	w.seen = sum
	w.reloads.WithLabelValues(reloadOK).Inc()
	names := make([]string, len(srcs))
	tokens := 0
	for i, s := range srcs {
		names[i] = s.Name
		tokens += len(s.Tokens)
	}
	w.log.Info().Str("file", w.path).Strs("sources", names).Int("tokens", tokens).Msg("sources file read again: in force")
}

// failed reports a version that cannot be used, once per version.
func (w *Watcher) failed(sum [sha256.Size]byte, err error) {
	if bytes.Equal(sum[:], w.seen[:]) {
		return
	}
	w.seen = sum
	w.reloads.WithLabelValues(reloadFailed).Inc()
	w.log.Error().Err(err).Str("file", w.path).Msg("sources file not read again: the last good sources stay in force")
}
