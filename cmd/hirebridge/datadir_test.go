package main

import (
	"bytes"
	"errors"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A second process on a data directory in use stops at start, non-zero,
// naming the directory and the holder; the first goes on serving, and
// keeps what it stored. Two embedded servers on one store each overwrite
// what the other wrote.
func TestDataDirOneProcessAtATime(t *testing.T) {
	slow(t, "a second built binary refused a data directory in use")
	t.Parallel()
	dataDir := t.TempDir()
	env := embeddedEnv(t, dataDir)
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	first := startBinary(t, env)

	second := exec.Command(binary(t))
	second.Env = append(environ(env), raceOptions()...)
	var stdout, stderr bytes.Buffer
	second.Stdout, second.Stderr = &stdout, &stderr
	done := make(chan error, 1)
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- second.Wait() }()
	select {
	case err := <-done:
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() == 0 {
			t.Fatalf("second process: %v, want a non-zero exit", err)
		}
	case <-time.After(20 * time.Second):
		_ = second.Process.Kill()
		t.Fatalf("the second process started on a data directory in use:\n%s", stdout.String())
	}
	last := strings.TrimSpace(stderr.String())
	abs, _ := filepath.Abs(dataDir)
	for _, want := range []string{"HIREBRIDGE_DATA_DIR", abs, "in use", "process " + strconv.Itoa(first.cmd.Process.Pid)} {
		if !strings.Contains(last, want) {
			t.Errorf("the second process's error %q does not say %q", last, want)
		}
	}

	r := mustPost(t, first.svc.webhookURL(), example(t, "job_added.json"))
	if r.Status != http.StatusOK || r.Body.Status != "published" {
		t.Fatalf("the first process after the second tried: %d %s", r.Status, r.Raw)
	}
	first.stop(t)

	// Once the first is gone, the directory is free, and what the first
	// stored is there.
	again := startService(t, env)
	r2 := mustPost(t, again.webhookURL(), example(t, "job_added.json"))
	if r2.Status != http.StatusOK || r2.Body.Status != "duplicate" || r2.Body.ID != r.Body.ID {
		t.Errorf("resent after the restart: %d %s, want a duplicate of %s", r2.Status, r2.Raw, r.Body.ID)
	}
}
