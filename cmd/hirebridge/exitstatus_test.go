package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

// How main says each kind of error, and the status it exits with.
func TestExitStatus(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		err    error
		format string
		status int
		stderr string // "" for a JSON line
	}{
		{"none", nil, "", 0, ""},
		{"usage", &usageError{command: "tail", msg: "flag provided but not defined: -x"}, "", exitUsage,
			"hirebridge tail: flag provided but not defined: -x; try: hirebridge tail -h\n"},
		{"usage of hirebridge itself", &usageError{msg: `unknown command "x"`}, "", exitUsage,
			"hirebridge: unknown command \"x\"; try: hirebridge -h\n"},
		{"usage already shown", &usageError{command: "spool", msg: "which one?", usageShown: true}, "", exitUsage,
			"hirebridge spool: which one?\n"},
		{"a command's failure, joined errors on one line", forPeople("replay", errors.Join(errors.New("one"), errors.New("two"))), "", exitFailed,
			"hirebridge replay: one; two\n"},
		{"the service's, for people", errors.New("HIREBRIDGE_SINK: bad"), "console", exitFailed,
			"hirebridge: HIREBRIDGE_SINK: bad\n"},
		{"the service's", errors.New("HIREBRIDGE_SINK: bad"), "json", exitFailed, ""},
	} {
		var stderr bytes.Buffer
		status := exitStatus(&stderr, c.format, c.err)
		if status != c.status {
			t.Errorf("%s: status %d, want %d", c.name, status, c.status)
		}
		if c.err == nil || c.stderr != "" {
			if stderr.String() != c.stderr {
				t.Errorf("%s: stderr %q, want %q", c.name, stderr.String(), c.stderr)
			}
			continue
		}
		var line struct{ Level, Error string }
		if err := json.Unmarshal(stderr.Bytes(), &line); err != nil || line.Level != "fatal" || line.Error != c.err.Error() {
			t.Errorf("%s: stderr %q, want a JSON line at level fatal with the error", c.name, stderr.String())
		}
	}
}

// run decides how each command's errors are said: serve's are left to
// end its log, every other command's are marked for a plain line, usage
// errors as such, and help is no error.
func TestRunMarksErrors(t *testing.T) {
	t.Parallel()
	bad := []string{"HIREBRIDGE_SINK=not-a-sink"}
	var usage *usageError
	var failed *commandError
	for _, c := range []struct {
		args    []string
		environ []string
		want    string // usage, command, service or none
	}{
		{nil, bad, "service"},
		{[]string{"serve"}, bad, "service"},
		{[]string{"serve", "-x"}, bad, "usage"},
		{[]string{"serve", "-h"}, bad, "none"},
		{[]string{"replay"}, bad, "command"},
		{[]string{"replay", "-x"}, bad, "usage"},
		{[]string{"replay", "-h"}, bad, "none"},
		{[]string{"spool", "list", "-h"}, bad, "none"},
		{[]string{"spool", "export"}, bad, "command"},
		{[]string{"config"}, bad, "command"},
		{[]string{"bogus"}, nil, "usage"},
		{[]string{"help", "replay"}, nil, "none"},
	} {
		err := run(context.Background(), c.args, c.environ, &bytes.Buffer{})
		got := "service"
		switch {
		case err == nil:
			got = "none"
		case errors.As(err, &usage):
			got = "usage"
		case errors.As(err, &failed):
			got = "command"
		}
		if got != c.want {
			t.Errorf("%q: %s error (%v), want %s", c.args, got, err, c.want)
		}
	}
	// The failure names the subcommand it came from.
	err := run(context.Background(), []string{"spool", "export"}, bad, &bytes.Buffer{})
	if errors.As(err, &failed); failed == nil || failed.command != "spool export" {
		t.Errorf("spool export's error %v does not name spool export", fmt.Sprint(err))
	}
}
