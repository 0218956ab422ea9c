package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/KimMachineGun/automemlimit/memlimit"
)

// run dispatches the subcommand. Only main exits the process: it learns
// from the error's type how to say it (exitstatus.go), and this is the one
// place that decides the type. serve's errors end its log; every other
// command's, a person's at a terminal, are marked for a plain line.
func run(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	name, args := commandOf(args)
	if warnsOfUnknownVars(name) {
		warnUnknownVars(os.Stderr, environ)
	}
	err := dispatch(ctx, name, args, environ, stdout)
	if errors.Is(err, flag.ErrHelp) {
		// Asked for, and printed: done.
		return nil
	}
	if name == "serve" {
		return err
	}
	return forPeople(name, err)
}

// commandOf splits the command's name off args: serve when none is given,
// and the spellings every CLI is tried with for help and the version.
func commandOf(args []string) (name string, rest []string) {
	if len(args) == 0 {
		return "serve", nil
	}
	name, rest = args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		name = "help"
	case "-v", "-version", "--version":
		name = "version"
	}
	return name, rest
}

// warnsOfUnknownVars says whether the command is to be warned, before it
// runs, of the HIREBRIDGE_* variables nothing reads: those that read the
// configuration, but serve, which logs them with the rest of its start,
// and config, which lists them after its table. help and version read no
// variables.
func warnsOfUnknownVars(name string) bool {
	switch name {
	case "tail", "replay", "spool", "events", "deadletters":
		return true
	}
	return false
}

func dispatch(ctx context.Context, name string, args []string, environ []string, stdout io.Writer) error {
	switch name {
	case "serve":
		if err := parseServeArgs(args, stdout); err != nil {
			return err
		}
		return serveCommand(ctx, environ, stdout, nil)
	case "version":
		return versionCommand(args, stdout)
	case "tail":
		return tail(ctx, args, environ, stdout)
	case "replay":
		return replayCommand(ctx, args, environ, stdout)
	case "spool":
		return spoolCommand(ctx, args, environ, stdout)
	case "events":
		return eventsCommand(ctx, args, environ, stdout)
	case "deadletters":
		return deadlettersCommand(ctx, args, environ, stdout)
	case "config":
		return configCommand(args, environ, stdout)
	case "help":
		return helpCommand(ctx, args, environ, stdout)
	}
	what := "command"
	if strings.HasPrefix(name, "-") {
		what = "flag"
	}
	return &usageError{msg: fmt.Sprintf("unknown %s %q", what, name)}
}

// helpCommand is `hirebridge help [COMMAND]`: this usage, or the command's
// own, as `hirebridge COMMAND -h` prints it.
func helpCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	switch {
	case len(args) == 0 || args[0] == "-h" || args[0] == "-help" || args[0] == "--help":
		_, err := io.WriteString(stdout, usage)
		return err
	case len(args) > 1:
		return &usageError{command: "help", msg: fmt.Sprintf("takes one command, got %s", quoteAll(args))}
	case args[0] == "help":
		return helpCommand(ctx, nil, environ, stdout)
	}
	name, _ := commandOf(args)
	return dispatch(ctx, name, []string{"-h"}, environ, stdout)
}

const usage = `hirebridge: Hirempire webhooks to NATS JetStream or Kafka

Usage:
  hirebridge [serve]      receive webhooks (configured by HIREBRIDGE_* variables)
  hirebridge tail [-all] [-server URL] [-stream NAME] [SUBJECT]
                          print events as they arrive, on NATS or Kafka
  hirebridge replay [-dry-run] [-reason CODE] [-since WHEN] [-json]
                    [-include-resolved]
                          publish the dead letters that pass now; leaves
                          them in place, publishes nothing twice, skips
                          those marked resolved
  hirebridge events list [-type TYPE] [-subject SUBJECT] [-since WHEN] ...
  hirebridge events get ID
                          search the events the broker holds, newest
                          first; one event's headers and body
  hirebridge deadletters list [-reason CODE] [-status open|resolved|all] ...
  hirebridge deadletters resolve ID [-note TEXT]
                          the dead letters by reason; mark one resolved
  hirebridge spool list|export
  hirebridge spool salvage [-dry-run] FILE
  hirebridge spool drain [DIR]
                          what the spool holds: waiting, quarantined, and
                          what a damaged file moved aside still holds;
                          drain forwards a spool no bridge runs on
  hirebridge config [-h]  print every variable: default, value in use
                          (automatic values resolved), bad values marked,
                          _FILE variants
  hirebridge version      print the version
  hirebridge help [COMMAND]
                          this, or a command's usage

Every command takes -h for its usage, with its arguments and examples.
serve, tail, replay, events, deadletters, spool and config say which
HIREBRIDGE_* variables nothing reads (a misspelt one is otherwise
ignored without a word).

Exit status: 0 done; 1 the command failed (said in one line on standard
error; serve's last log line); 2 a wrong command, flag or argument.
`

// assumedMemoryLimit stands in for a container's memory limit where there
// is none (a laptop, a VM): the chart's default limit, so the service
// behaves the same in and out of Kubernetes. The budget for requests in
// progress bounds the live heap; the memory limit bounds the collector's
// headroom over it.
//
// GC percent stays Go's default, 100. At 400 the load test ran 9% faster
// but held twice the memory (206 MiB of RSS against 94 MiB), the heap
// sitting at five times the live data until the memory limit stopped it:
// too close to the chart's 256 MiB limit, with nothing left for a flood.
const assumedMemoryLimit = 256 << 20

// tuneGC sets the memory limit: GOMEMLIMIT, when set, wins; otherwise 90%
// of the cgroup's limit, or of assumedMemoryLimit outside one. A limit that
// cannot be read leaves Go's default (none): the budget still bounds
// requests.
func tuneGC() {
	_, _ = memlimit.Set(memlimit.WithProvider(
		memlimit.ApplyFallback(memlimit.FromCgroup, memlimit.Limit(assumedMemoryLimit))))
}
