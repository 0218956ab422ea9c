package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// Exit statuses, as the top usage documents them: 0 for done (help
// included), exitFailed when the command ran and failed, exitUsage when the
// command line was wrong and nothing ran (the convention of flag, go and
// most Unix tools), so a script can tell its own mistake from a fault.
const (
	exitFailed = 1
	exitUsage  = 2
)

// usageError is a command line hirebridge cannot run: an unknown command,
// flag or argument. Whatever the command, it is said as one plain line:
// no service ran, so no log is owed the line.
type usageError struct {
	// command is as typed after hirebridge ("tail", "spool salvage");
	// empty for hirebridge itself.
	command string
	msg     string
	// usageShown says the usage was printed already, on standard error,
	// so the line need not point to it.
	usageShown bool
}

func (e *usageError) Error() string { return e.msg }

// commandError is the failure of a command a person runs: every command
// but serve, whose errors end its log. It is said as one plain line
// naming the command, for the person at the terminal.
type commandError struct {
	command string
	err     error
}

func (e *commandError) Error() string { return e.err.Error() }
func (e *commandError) Unwrap() error { return e.err }

// forPeople marks err as the failure of command, run by a person, unless
// it is no failure (help, printed as asked) or marked already (a usage
// error, or one naming a subcommand).
func forPeople(command string, err error) error {
	var usage *usageError
	var failed *commandError
	if err == nil || errors.Is(err, flag.ErrHelp) || errors.As(err, &usage) || errors.As(err, &failed) {
		return err
	}
	return &commandError{command: command, err: err}
}

// exitStatus says the error run returned on stderr and returns the status
// to exit with: a usage error or a command's failure as one plain line,
// `hirebridge <command>: <error>`; anything else is the service's, ending
// its log as the other lines are (reportFatal).
func exitStatus(stderr io.Writer, logFormat string, err error) int {
	var usage *usageError
	var failed *commandError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &usage):
		msg := usage.msg
		if !usage.usageShown {
			msg += "; try: " + joinWords("hirebridge", usage.command, "-h")
		}
		printErrorLine(stderr, usage.command, msg)
		return exitUsage
	case errors.As(err, &failed):
		printErrorLine(stderr, failed.command, failed.err.Error())
		return exitFailed
	default:
		reportFatal(stderr, logFormat, err)
		return exitFailed
	}
}

// printErrorLine writes `hirebridge <command>: <msg>` as one line, whatever
// the error holds: a joined error's parts are separated by "; ".
func printErrorLine(w io.Writer, command, msg string) {
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\n", "; ")
	fmt.Fprintf(w, "%s: %s\n", joinWords("hirebridge", command), msg)
}

// joinWords joins the words that are not empty with spaces.
func joinWords(words ...string) string {
	var kept []string
	for _, w := range words {
		if w != "" {
			kept = append(kept, w)
		}
	}
	return strings.Join(kept, " ")
}
