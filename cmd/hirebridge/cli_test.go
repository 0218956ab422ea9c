package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// The command line as a person meets it, through the built binary: its
// exit status, and what it writes where.

// ran is how one run of the binary ended.
type ran struct {
	status         int
	stdout, stderr string
}

// runBinary runs the binary with args and only the variables of env (a
// developer's own HIREBRIDGE_* variables stay out), and waits for it.
func runBinary(t *testing.T, env map[string]string, args ...string) ran {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = append(environ(env), raceOptions()...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("hirebridge %s: %v", strings.Join(args, " "), err)
	}
	return ran{status: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
}

// quietEnv is the environment of a command that must not reach anything:
// a data directory of its own, and a bad variable, so a command that read
// the configuration when it should not would fail.
func quietEnv(t *testing.T) map[string]string {
	return map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir(), "HIREBRIDGE_SINK": "not-a-sink"}
}

// -h on every command prints the usage, naming each argument and flag, on
// standard output, and exits 0, whatever the variables hold.
func TestCLIHelp(t *testing.T) {
	slow(t, "the built binary's usage for each command and its exit status")
	t.Parallel()
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"tail", "-h"}, []string{"Usage: hirebridge tail [-all] [-server URL] [-stream NAME] [SUBJECT]", "SUBJECT", "<prefix>.>", "* one token", "-all", "-server URL", "-stream NAME", "Examples:"}},
		{[]string{"tail", "-help"}, []string{"Usage: hirebridge tail"}},
		{[]string{"tail", "--help"}, []string{"Usage: hirebridge tail"}},
		{[]string{"replay", "-h"}, []string{"Usage: hirebridge replay [-dry-run] [-reason CODE] [-since WHEN] [-json]", "-reason CODE", "unknown_event_type", "undeliverable", "-since WHEN", "-dry-run", "-json", "Examples:"}},
		{[]string{"spool", "-h"}, []string{"hirebridge spool list", "hirebridge spool export", "hirebridge spool salvage [-dry-run] FILE", "Examples:"}},
		{[]string{"spool", "help"}, []string{"hirebridge spool salvage [-dry-run] FILE"}},
		{[]string{"spool", "list", "-h"}, []string{"Usage: hirebridge spool list", "HIREBRIDGE_SPOOL_DIR", "Examples:"}},
		{[]string{"spool", "export", "-h"}, []string{"Usage: hirebridge spool export", "Examples:"}},
		{[]string{"spool", "salvage", "-h"}, []string{"Usage: hirebridge spool salvage [-dry-run] FILE", "FILE", "-dry-run", "Examples:"}},
		{[]string{"serve", "-h"}, []string{"Usage: hirebridge serve", "HIREBRIDGE_*", "Examples:"}},
		{[]string{"version", "-h"}, []string{"Usage: hirebridge version"}},
		{[]string{"-h"}, []string{"hirebridge tail [-all] [-server URL] [-stream NAME] [SUBJECT]", "hirebridge config [-h]", "Exit status"}},
		{[]string{"--help"}, []string{"hirebridge replay [-dry-run]"}},
		{[]string{"help"}, []string{"hirebridge spool salvage [-dry-run] FILE"}},
		{[]string{"help", "tail"}, []string{"Usage: hirebridge tail"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, quietEnv(t), c.args...)
			if r.status != 0 || r.stderr != "" {
				t.Errorf("exit %d, stderr %q; want 0 and nothing", r.status, r.stderr)
			}
			for _, want := range c.want {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("the usage lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}

// A wrong command, flag or argument: exit 2, nothing on standard output,
// one plain line on standard error naming the command and the fault and
// where the usage is. Nothing is run, so nothing reads the (bad)
// configuration.
func TestCLIUsageErrors(t *testing.T) {
	slow(t, "the built binary's answer to wrong flags and arguments")
	t.Parallel()
	for _, c := range []struct {
		args []string
		line []string // what the one line says
	}{
		{[]string{"tail", "-bogus"}, []string{"hirebridge tail: ", "-bogus", "try: hirebridge tail -h"}},
		{[]string{"tail", "a.>", "b.>"}, []string{"hirebridge tail: ", `"b.>"`, "try: hirebridge tail -h"}},
		{[]string{"tail", "hirempire.>", "-all"}, []string{"flags go before the arguments"}},
		{[]string{"replay", "extra"}, []string{"hirebridge replay: ", `"extra"`, "try: hirebridge replay -h"}},
		{[]string{"replay", "-since", "yesterday"}, []string{"hirebridge replay: -since ", "yesterday"}},
		{[]string{"replay", "-reason", "bogus"}, append([]string{"hirebridge replay: -reason bogus: not a dead-letter reason; one of: "}, events.DeadLetterReasons()...)},
		{[]string{"spool", "bogus"}, []string{"hirebridge spool: ", `"bogus"`, "try: hirebridge spool -h"}},
		{[]string{"spool", "list", "extra"}, []string{"hirebridge spool list: ", "try: hirebridge spool list -h"}},
		{[]string{"spool", "salvage"}, []string{"hirebridge spool salvage: ", "FILE", "try: hirebridge spool salvage -h"}},
		{[]string{"serve", "extra"}, []string{"hirebridge serve: ", "try: hirebridge serve -h"}},
		{[]string{"version", "extra"}, []string{"hirebridge version: "}},
		{[]string{"bogus"}, []string{`hirebridge: unknown command "bogus"; try: hirebridge -h`}},
		{[]string{"-x"}, []string{`hirebridge: unknown flag "-x"`}},
		{[]string{"help", "bogus"}, []string{`"bogus"`}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, quietEnv(t), c.args...)
			if r.status != exitUsage {
				t.Errorf("exit %d, want %d", r.status, exitUsage)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q, want nothing", r.stdout)
			}
			line := onePlainLine(t, r.stderr)
			for _, want := range c.line {
				if !strings.Contains(line, want) {
					t.Errorf("the error %q does not say %q", line, want)
				}
			}
		})
	}
}

// `hirebridge spool` alone asks which: the usage, on standard error, then
// the question; the usage error's status.
func TestCLISpoolWithoutCommand(t *testing.T) {
	slow(t, "the built binary's answer to spool without a command")
	t.Parallel()
	r := runBinary(t, quietEnv(t), "spool")
	if r.status != exitUsage || r.stdout != "" {
		t.Errorf("exit %d, stdout %q; want %d and nothing", r.status, r.stdout, exitUsage)
	}
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if !strings.Contains(r.stderr, "hirebridge spool salvage [-dry-run] FILE") ||
		!strings.HasPrefix(lines[len(lines)-1], "hirebridge spool: ") {
		t.Errorf("stderr is not the usage then a line saying what is missing:\n%s", r.stderr)
	}
}

// A command that runs and fails says so in one plain line naming it, exit
// 1; the service's own start-up errors stay JSON (TestBinaryBadConfig).
func TestCLIFailureIsOnePlainLine(t *testing.T) {
	slow(t, "the built binary's one-line errors of commands")
	t.Parallel()
	for _, c := range []struct {
		env  map[string]string
		args []string
		line []string
	}{
		// No broker to follow: the data directory holds no embedded
		// server's address.
		{map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir()}, []string{"tail"}, []string{"hirebridge tail: ", "HIREBRIDGE_NATS_URL"}},
		{map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir(), "HIREBRIDGE_SINK": "not-a-sink"}, []string{"replay"}, []string{"hirebridge replay: HIREBRIDGE_SINK"}},
		{map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir()}, []string{"spool", "list"}, []string{"hirebridge spool list: HIREBRIDGE_SPOOL_DIR"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, c.env, c.args...)
			if r.status != exitFailed {
				t.Errorf("exit %d, want %d", r.status, exitFailed)
			}
			line := onePlainLine(t, r.stderr)
			for _, want := range c.line {
				if !strings.Contains(line, want) {
					t.Errorf("the error %q does not say %q", line, want)
				}
			}
		})
	}
}

// A misspelt variable is not fatal, but said before a command runs, in
// plain words naming the variable meant; version reads no variables and
// says nothing of them.
func TestCLIWarnsOfUnknownVariables(t *testing.T) {
	slow(t, "the built binary's warning of misspelt variables")
	t.Parallel()
	const warning = "hirebridge: warning: HIREBRIDGE_STRICK is not a hirebridge variable; did you mean HIREBRIDGE_STRICT?"
	broker := natstest.Start(t)

	// replay runs to its end (nothing to replay), the warning first.
	env := withEnv(baseEnv(t, broker.URL()), "HIREBRIDGE_STRICK", "true")
	r := runBinary(t, env, "replay", "-dry-run")
	if r.status != 0 {
		t.Fatalf("replay: exit %d, stderr:\n%s", r.status, r.stderr)
	}
	if first, _, _ := strings.Cut(r.stderr, "\n"); first != warning {
		t.Errorf("replay's first line on stderr is %q, want %q", first, warning)
	}

	// tail fails (no broker to follow), after the warning.
	r = runBinary(t, map[string]string{"HIREBRIDGE_DATA_DIR": t.TempDir(), "HIREBRIDGE_STRICK": "true"}, "tail")
	lines := strings.Split(strings.TrimSuffix(r.stderr, "\n"), "\n")
	if r.status != exitFailed || len(lines) != 2 || lines[0] != warning || !strings.HasPrefix(lines[1], "hirebridge tail: ") {
		t.Errorf("tail: exit %d, stderr %q; want %d, the warning, then tail's error", r.status, r.stderr, exitFailed)
	}

	r = runBinary(t, map[string]string{"HIREBRIDGE_STRICK": "true"}, "version")
	if r.status != 0 || r.stderr != "" {
		t.Errorf("version: exit %d, stderr %q; want 0 and nothing", r.status, r.stderr)
	}
}

// The service logs each misspelt variable as a warning with the variable
// meant, and starts.
func TestServeWarnsOfUnknownVariables(t *testing.T) {
	t.Parallel()
	broker := natstest.Start(t)
	env := baseEnv(t, broker.URL())
	env["HIREBRIDGE_STRICK"] = "true"
	svc := startService(t, env)
	var found bool
	for line := range strings.Lines(svc.logs.String()) {
		var entry map[string]any
		if json.Unmarshal([]byte(line), &entry) != nil || entry["variable"] != "HIREBRIDGE_STRICK" {
			continue
		}
		found = true
		if entry["level"] != "warn" || entry["did_you_mean"] != "HIREBRIDGE_STRICT" {
			t.Errorf("the log line %s is not a warning naming HIREBRIDGE_STRICT in did_you_mean", line)
		}
	}
	if !found {
		t.Errorf("no log line names HIREBRIDGE_STRICK:\n%s", svc.logs)
	}
}

// onePlainLine is the line stderr holds, failing the test unless it holds
// exactly one, and not a JSON log line.
func onePlainLine(t *testing.T, stderr string) string {
	t.Helper()
	line, rest, _ := strings.Cut(stderr, "\n")
	if line == "" || rest != "" {
		t.Errorf("stderr %q, want one line", stderr)
	}
	if json.Valid([]byte(line)) {
		t.Errorf("stderr %q is JSON, want a plain line", line)
	}
	return line
}

// The manual's replay section names every reason -reason takes.
func TestOperationsListsReplayReasons(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "operations.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range events.DeadLetterReasons() {
		if !strings.Contains(string(doc), "`"+r+"`") {
			t.Errorf("docs/operations.md does not name the reason %s", r)
		}
	}
}
