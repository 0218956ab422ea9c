package sources

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/sources/sourcestest"
	"github.com/hirebridge/hirebridge/internal/syncbuf"
)

// applied records what the watcher hands over.
type applied struct {
	mu   sync.Mutex
	last []bridge.Source
	at   time.Time
}

func (a *applied) apply(srcs []bridge.Source) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.last, a.at = srcs, time.Now()
	return nil
}

func (a *applied) tokens() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []string
	for _, s := range a.last {
		out = append(out, s.Tokens...)
	}
	return out
}

type watched struct {
	*applied
	reg  *prometheus.Registry
	w    *Watcher
	logs *syncbuf.Buffer
}

// watch starts a watcher whose poll is too slow to matter: the events
// alone must bring each change.
func watch(t *testing.T, path string) *watched {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a := &watched{applied: &applied{}, reg: prometheus.NewRegistry(), logs: &syncbuf.Buffer{}}
	w, err := Watch(ctx, Options{
		Path: path, Defaults: defaults, Apply: a.apply, Log: zerolog.New(a.logs),
		Registerer: a.reg, Poll: time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); <-w.Done() })
	a.w = w
	return a
}

func (a *watched) reloads(result string) float64 {
	mfs, _ := a.reg.Gather()
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "hirebridge_sources_reloads_total" && m.GetLabel()[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// waitTokens waits for the set of tokens in force, and says how long
// after since it came.
func (a *watched) waitTokens(t *testing.T, since time.Time, want ...string) time.Duration {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for strings.Join(a.tokens(), ",") != strings.Join(want, ",") {
		if time.Now().After(deadline) {
			t.Fatalf("tokens %v after 10s, want %v; logs:\n%s", a.tokens(), want, a.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.at.Sub(since)
}

func sourcesText(tokens ...string) string {
	return "- name: acme\n  tokens: [" + strings.Join(tokens, ", ") + "]\n"
}

func TestReloadByRename(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "sources.yaml")
	if err := os.WriteFile(path, []byte(sourcesText(tokA)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := watch(t, path)
	start := time.Now()
	sourcestest.RenameOver(t, path, sourcesText(tokA, tokB))
	t.Logf("reload by rename: in force %v after the rename", a.waitTokens(t, start, tokA, tokB))
	if n := a.reloads(reloadOK); n != 1 {
		t.Errorf("%v ok reloads, want 1", n)
	}
}

func TestReloadBySymlinkSwap(t *testing.T) {
	t.Parallel()
	d := sourcestest.NewSecretDir(t, "sources.yaml", sourcesText(tokA))
	a := watch(t, d.Path())
	for _, tokens := range [][]string{{tokA, tokB}, {tokB}} {
		start := time.Now()
		d.Swap(t, sourcesText(tokens...))
		t.Logf("reload by symlink swap to %d tokens: in force %v after the swap", len(tokens), a.waitTokens(t, start, tokens...))
	}
	if n := a.reloads(reloadOK); n != 2 {
		t.Errorf("%v ok reloads, want 2", n)
	}
}

// A bad version is logged once, counted, and changes nothing; the next
// good one is taken.
func TestReloadKeepsTheLastGood(t *testing.T) {
	t.Parallel()
	d := sourcestest.NewSecretDir(t, "sources.yaml", sourcesText(tokA))
	a := watch(t, d.Path())
	d.Swap(t, sourcesText(tokA, tokB))
	a.waitTokens(t, time.Now(), tokA, tokB)

	d.Swap(t, "- name: acme\n  tokens: [short]\n")
	deadline := time.Now().Add(10 * time.Second)
	for a.reloads(reloadFailed) < 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no failed reload counted; logs:\n%s", a.logs)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if got := strings.Join(a.tokens(), ","); got != tokA+","+tokB {
		t.Errorf("tokens after a bad file: %s, want the last good ones", got)
	}
	logs := a.logs.String()
	if !strings.Contains(logs, `"level":"error"`) || !strings.Contains(logs, "line 1: source \\\"acme\\\": token 1 must be at least 16 characters") {
		t.Errorf("no error line naming the problem:\n%s", logs)
	}
	if strings.Contains(logs, tokA) || strings.Contains(logs, tokB) {
		t.Errorf("the logs show a token:\n%s", logs)
	}

	d.Swap(t, sourcesText(tokC))
	a.waitTokens(t, time.Now(), tokC)
	if ok, failed := a.reloads(reloadOK), a.reloads(reloadFailed); ok != 2 || failed != 1 {
		t.Errorf("reloads ok %v, failed %v; want 2 and 1", ok, failed)
	}
}

// The poll alone brings a change the events did not (a filesystem without
// them).
func TestReloadByPolling(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "sources.yaml")
	if err := os.WriteFile(path, []byte(sourcesText(tokA)), 0o600); err != nil {
		t.Fatal(err)
	}
	a := &applied{}
	w := &Watcher{path: path, defaults: defaults, apply: a.apply, log: zerolog.Nop(),
		reloads: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "x"}, []string{"result"}), poll: time.Hour}
	if err := os.WriteFile(path, []byte(sourcesText(tokB)), 0o600); err != nil {
		t.Fatal(err)
	}
	w.check()
	if got := strings.Join(a.tokens(), ","); got != tokB {
		t.Errorf("after a check: %s, want %s", got, tokB)
	}
}
