package main

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// `hirebridge spool drain` on the spool a stopped bridge left: refused
// while a bridge runs on it; with the broker away it exits 1 and leaves
// the file whole; with the broker back it forwards every event, in order,
// once, and exits 0 with its summary; a second drain forwards nothing.
func TestBinarySpoolDrain(t *testing.T) {
	slow(t, "hirebridge spool drain on a stopped bridge's spool of 200 events: refused, unreachable, drained, drained again")
	t.Parallel()
	const n = 200
	left := leaveSpool(t, n)

	r := runBinary(t, left.env, "spool", "drain")
	if r.status != exitFailed || r.stdout != "" {
		t.Errorf("drain with the broker away: exit %d, stdout %q; want %d and nothing", r.status, r.stdout, exitFailed)
	}
	if line := lastLine(r.stderr); !strings.HasPrefix(line, "hirebridge spool drain: reaching the broker: ") ||
		!strings.Contains(line, "the spool is left as it was") {
		t.Errorf("drain with the broker away says %q, want why in one line", line)
	}
	if got := queuedIDs(t, left.dir); !sameSet(got, left.ids) {
		t.Errorf("after the failed drain the spool holds %d events, want the %d left, untouched", len(got), len(left.ids))
	}

	// A bridge running on the spool (the broker still away: it keeps it).
	svc := startService(t, left.env)
	r = runBinary(t, left.env, "spool", "drain", left.dir)
	line := onePlainLine(t, r.stderr)
	if r.status != exitFailed || !strings.Contains(line, "in use by process") || !strings.Contains(line, "a running bridge forwards its own spool") {
		t.Errorf("drain of a spool a bridge holds: exit %d, %q; want %d and one line saying who holds it", r.status, line, exitFailed)
	}
	if err := svc.shutdown(); err != nil {
		t.Fatal(err)
	}

	left.broker.Restart(t)
	r = runBinary(t, left.env, "spool", "drain", left.dir)
	if r.status != 0 {
		t.Fatalf("drain: exit %d, stderr:\n%s", r.status, r.stderr)
	}
	if want := "forwarded 200, dead-lettered 0, quarantined 0, left 0 (of 200 held"; !strings.Contains(r.stdout, want) {
		t.Errorf("drain printed %q, want %q", r.stdout, want)
	}
	stored := checkStream(t, left.broker.URL(), slices.Collect(maps.Keys(left.ids)))
	if stored != n {
		t.Errorf("%d events in the stream after the drain, want %d", stored, n)
	}
	if got := queuedIDs(t, left.dir); len(got) != 0 {
		t.Errorf("the spool still holds %d events after the drain", len(got))
	}
	t.Logf("drain: %s", strings.TrimSpace(r.stdout))

	r = runBinary(t, left.env, "spool", "drain")
	if r.status != 0 || !strings.Contains(r.stdout, "forwarded 0, dead-lettered 0, quarantined 0, left 0 (of 0 held") {
		t.Errorf("a second drain: exit %d, stdout %q, stderr %q; want 0 and nothing forwarded", r.status, r.stdout, r.stderr)
	}
	if again := len(readStream(t, left.broker.URL(), "HIREMPIRE")); again != n {
		t.Errorf("%d events in the stream after a second drain, want %d", again, n)
	}
}

// drain's usage names its argument and exits 0; a wrong command line
// exits 2 in one line; a directory without a spool is a failure, 1.
func TestCLISpoolDrain(t *testing.T) {
	slow(t, "the built binary's usage and errors of spool drain")
	t.Parallel()
	r := runBinary(t, quietEnv(t), "spool", "drain", "-h")
	if r.status != 0 || r.stderr != "" {
		t.Errorf("spool drain -h: exit %d, stderr %q; want 0 and nothing", r.status, r.stderr)
	}
	for _, want := range []string{"Usage: hirebridge spool drain [DIR]", "DIR", "HIREBRIDGE_SPOOL_DIR", "Exit status", "Examples:"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("the usage lacks %q:\n%s", want, r.stdout)
		}
	}
	for _, args := range [][]string{{"spool", "-h"}, {"-h"}} {
		if r := runBinary(t, quietEnv(t), args...); !strings.Contains(r.stdout, "hirebridge spool drain [DIR]") {
			t.Errorf("hirebridge %s does not name spool drain [DIR]:\n%s", strings.Join(args, " "), r.stdout)
		}
	}

	r = runBinary(t, quietEnv(t), "spool", "drain", "a", "b")
	if line := onePlainLine(t, r.stderr); r.status != exitUsage || !strings.Contains(line, "hirebridge spool drain: ") ||
		!strings.Contains(line, "try: hirebridge spool drain -h") {
		t.Errorf("spool drain a b: exit %d, %q; want %d and the usage error", r.status, line, exitUsage)
	}

	empty := t.TempDir()
	r = runBinary(t, map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir()}, "spool", "drain", empty)
	if line := onePlainLine(t, r.stderr); r.status != exitFailed || !strings.Contains(line, "holds no spool") {
		t.Errorf("spool drain of an empty directory: exit %d, %q; want %d saying it holds no spool", r.status, line, exitFailed)
	}
}

// queuedIDs reads the ids of the events waiting in the spool in dir.
func queuedIDs(t *testing.T, dir string) map[string]bool {
	t.Helper()
	ids := map[string]bool{}
	_, err := spool.Queued(dir, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		if s.Msg != nil {
			ids[s.Msg.ID] = true
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading the spool: %v", err)
	}
	return ids
}

func sameSet(a, b map[string]bool) bool {
	return len(a) == len(b) && !slices.ContainsFunc(slices.Collect(maps.Keys(a)), func(k string) bool { return !b[k] })
}

// lastLine is the last line of out.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	return lines[len(lines)-1]
}
