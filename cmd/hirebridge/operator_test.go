package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/connect"
)

// What an operator reads at start: variables of the other sink are named
// as ignored, not silently dropped, and durations carry their units.
func TestStartupLogForOperators(t *testing.T) {
	t.Parallel()
	env := embeddedEnv(t, t.TempDir())
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	env["HIREBRIDGE_KAFKA_BROKERS"] = "kafka:9092"
	svc := startService(t, env)
	logs := svc.logs.String()
	for _, want := range []string{`"ignored":["HIREBRIDGE_KAFKA_BROKERS"]`, `"publish_timeout":"10s"`, `"retry_after":"5s"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the start-up log does not say %s:\n%s", want, logs)
		}
	}
}

// Console logs carry colour codes only on a terminal; in a file or a pipe
// they would be noise.
func TestConsoleLogsPlainOffTerminal(t *testing.T) {
	t.Parallel()
	env := embeddedEnv(t, t.TempDir())
	env["HIREBRIDGE_NATS_EMBEDDED_ADDR"] = "127.0.0.1:0"
	env["HIREBRIDGE_LOG_FORMAT"] = "console"
	svc := launch(t, env)
	waitFor(t, 20*time.Second, "the console start-up lines", func() bool {
		return strings.Contains(svc.logs.String(), "register this URL")
	})
	if logs := svc.logs.String(); strings.Contains(logs, "\x1b[") {
		t.Errorf("console logs to a buffer carry escape codes:\n%q", logs)
	}
}

// Hints name the command the user typed: `go run` for a temporary build,
// the binary otherwise. Not parallel: it changes os.Args[0], which a
// service started in process on the embedded server reads.
func TestSelfCommand(t *testing.T) {
	saved := os.Args[0]
	defer func() { os.Args[0] = saved }()
	for arg0, want := range map[string]string{
		"/tmp/go-build1234/b001/exe/hirebridge": "go run ./cmd/hirebridge",
		"/usr/local/bin/hirebridge":             "hirebridge",
		"./hirebridge":                          "hirebridge",
	} {
		os.Args[0] = arg0
		if got := connect.SelfCommand(); got != want {
			t.Errorf("connect.SelfCommand() for %s = %q, want %q", arg0, got, want)
		}
	}
}
