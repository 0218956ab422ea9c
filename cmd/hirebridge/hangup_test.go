package main

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// SIGHUP (a closed terminal, kill -HUP) stops the service as SIGTERM does:
// a log line naming the signal, the drain, exit 0. Go's default would end
// it at once with status 129 and not a word.
func TestBinarySIGHUPStopsGracefully(t *testing.T) {
	slow(t, "SIGHUP to the built binary: logged, drained, exit 0")
	t.Parallel()
	broker := natstest.Start(t)
	proc := startBinary(t, baseEnv(t, broker.URL()))
	if r := mustPost(t, proc.svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK {
		t.Fatalf("before the signal: %d %+v, want 200", r.Status, r.Body)
	}
	if err := proc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	select {
	case <-proc.exited:
	case <-time.After(30 * time.Second):
		t.Fatalf("the binary did not exit within 30s of SIGHUP\n%s", proc.logs)
	}
	if proc.waitErr != nil {
		t.Errorf("exit after SIGHUP: %v, want 0\n%s", proc.waitErr, proc.logs)
	}
	logs := proc.logs.String()
	for _, want := range []string{`"because":"hangup signal received"`, `"message":"stopped"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the log after SIGHUP has no %s:\n%s", want, logs)
		}
	}
	if n := len(readStream(t, broker.URL(), "HIREMPIRE")); n != 1 {
		t.Errorf("%d events stored, want the 1 acknowledged", n)
	}
}
