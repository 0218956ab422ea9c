package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/internal/config"
)

// configRun is `hirebridge config args...` with environ, as main ends
// it: what it printed, what main says on stderr and the exit status.
func configRun(t *testing.T, environ []string, args ...string) (stdout, stderr string, status int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), append([]string{"config"}, args...), environ, &out)
	status = exitStatus(&errOut, "", err)
	return out.String(), errOut.String(), status
}

func hasRow(t *testing.T, out, pattern string) {
	t.Helper()
	if !regexp.MustCompile(`(?m)^` + pattern + `$`).MatchString(out) {
		t.Errorf("no row matches %s:\n%s", pattern, out)
	}
}

// Bad values are when the listing is needed: the whole table is printed,
// each bad value marked on its row, and the command then fails, saying
// how many, so a script notices.
func TestConfigCommandMarksEveryProblem(t *testing.T) {
	t.Parallel()
	out, stderr, status := configRun(t, []string{"HIREBRIDGE_PUBLISH_TIMEOUT=soon", "HIREBRIDGE_LOG_LEVEL=loud"})
	if status != 1 || stderr != "hirebridge config: 2 problems (marked above)\n" {
		t.Errorf("exit %d, stderr %q; want 1 and the count of problems", status, stderr)
	}
	hasRow(t, out, `HIREBRIDGE_PUBLISH_TIMEOUT +10s +soon +PROBLEM: "soon" is not a duration such as 10s, 500ms or 2m`)
	hasRow(t, out, `HIREBRIDGE_LOG_LEVEL +info +loud +PROBLEM: "loud" is not one of trace, debug, info, warn, error`)
	if n := strings.Count(out, "PROBLEM"); n != 2 {
		t.Errorf("%d rows marked, want 2:\n%s", n, out)
	}
	for _, name := range config.KnownVars() {
		if !regexp.MustCompile(`(?m)^` + name + ` `).MatchString(out) {
			t.Errorf("%s is not listed:\n%s", name, out)
		}
	}
	// The service refuses the same values, at the first, in one line.
	_, err := config.Load([]string{"HIREBRIDGE_PUBLISH_TIMEOUT=soon", "HIREBRIDGE_LOG_LEVEL=loud"})
	if err == nil || err.Error() != `HIREBRIDGE_PUBLISH_TIMEOUT: "soon" is not a duration such as 10s, 500ms or 2m` {
		t.Errorf("config.Load = %v", err)
	}
}

func TestConfigCommandCleanExitsZero(t *testing.T) {
	t.Parallel()
	out, stderr, status := configRun(t, []string{"HIREBRIDGE_PUBLISH_TIMEOUT=3s"})
	if status != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", status, stderr)
	}
	hasRow(t, out, `HIREBRIDGE_PUBLISH_TIMEOUT +10s +3s`)
	if strings.Contains(out, "PROBLEM") {
		t.Errorf("a clean configuration is marked:\n%s", out)
	}
}

// Settings left to the service show the value it uses.
func TestConfigCommandShowsAutomaticValues(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	out, _, status := configRun(t, []string{"HIREBRIDGE_DATA_DIR=" + dataDir})
	if status != 0 {
		t.Fatalf("exit %d:\n%s", status, out)
	}
	hasRow(t, out, `HIREBRIDGE_NATS_DUPLICATE_WINDOW +0s +0s +automatic: 2s \(the embedded server\)`)
	hasRow(t, out, `HIREBRIDGE_NATS_STREAM_MAX_BYTES +0 +0 +automatic: [1-9]\d* \(half the .* GiB free under `+regexp.QuoteMeta(dataDir)+` now\)`)
	hasRow(t, out, `HIREBRIDGE_SPOOL_DIR +- +- +automatic: `+regexp.QuoteMeta(filepath.Join(dataDir, "spool"))+` \(under HIREBRIDGE_DATA_DIR\)`)
	hasRow(t, out, `HIREBRIDGE_WEBHOOK_TOKEN +- +- +automatic: drawn at random at each start \(the webhook URL is logged\)`)
}

// A secret from its file: masked, saying which file; the file's row shows
// the path, which is no secret.
func TestConfigCommandSecretFromFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "password")
	if err := os.WriteFile(file, []byte("hunter2-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, status := configRun(t, []string{"HIREBRIDGE_NATS_PASSWORD_FILE=" + file})
	if status != 0 {
		t.Fatalf("exit %d:\n%s", status, out)
	}
	hasRow(t, out, `HIREBRIDGE_NATS_PASSWORD +- +REDACTED +from HIREBRIDGE_NATS_PASSWORD_FILE`)
	hasRow(t, out, `HIREBRIDGE_NATS_PASSWORD_FILE +- +`+regexp.QuoteMeta(file))
	if strings.Contains(out, "hunter2") {
		t.Errorf("the secret is shown:\n%s", out)
	}
}

// Unknown variables are listed after the table, as warnings: the service
// starts with them, so they do not fail the command.
func TestConfigCommandListsUnknownVars(t *testing.T) {
	t.Parallel()
	out, _, status := configRun(t, []string{"HIREBRIDGE_STRICK=true"})
	if status != 0 {
		t.Errorf("exit %d, want 0: unknown variables are no problem of the values", status)
	}
	_, after, ok := strings.Cut(out, "\nUnknown variables (ignored):\n")
	if !ok || after != "  HIREBRIDGE_STRICK is not a hirebridge variable; did you mean HIREBRIDGE_STRICT?\n" {
		t.Errorf("the unknown variable is not listed after the table:\n%s", out)
	}
}

// -h prints what the columns and the exit status mean, and succeeds,
// whatever the variables hold.
func TestConfigCommandHelp(t *testing.T) {
	t.Parallel()
	out, stderr, status := configRun(t, []string{"HIREBRIDGE_SINK=not-a-sink"}, "-h")
	if status != 0 || stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", status, stderr)
	}
	for _, want := range []string{"Usage: hirebridge config", "DEFAULT", "VALUE", "NOTE", "PROBLEM", "Exits 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("the usage lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "VARIABLE ") {
		t.Errorf("-h printed the table:\n%s", out)
	}
}
