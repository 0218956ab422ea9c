package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/sinks"
)

// What `hirebridge events` and `hirebridge deadletters` share: the
// console's searches and marks, from a terminal.

// searchBroker is the broker as the console's commands need it: to search
// what it stored, and (for dead letters) its resolved marks.
type searchBroker struct {
	sinks.Browser
	// resolutions is nil when the broker keeps no marks.
	resolutions sinks.Resolutions
	// where says which broker, for people; sink is its kind (nats,
	// kafka).
	where, sink string
	// prefix is the service's subject or topic prefix.
	prefix string
}

// openSearch reaches the service's broker, with its HIREBRIDGE_* settings
// in environ, as replay does (the running service's, or the embedded
// server started on its data directory while it is stopped). closeBroker
// releases it.
func openSearch(ctx context.Context, environ []string) (b *searchBroker, closeBroker func(), err error) {
	cfg, err := config.Load(environ)
	if err != nil {
		return nil, nil, err
	}
	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	browser, ok := sink.(sinks.Browser)
	if !ok {
		closeSink()
		return nil, nil, fmt.Errorf("the %s sink cannot search what it stored", cfg.Sink)
	}
	b = &searchBroker{Browser: browser, where: where, sink: cfg.Sink, prefix: cfg.Bridge.Prefix}
	b.resolutions, _ = sink.(sinks.Resolutions)
	return b, closeSink, nil
}

// subcommand is one of a command's subcommands, such as events list.
type subcommand struct {
	name string
	run  func(ctx context.Context, args, environ []string, stdout io.Writer) error
}

// runSubcommand runs the subcommand of command that args name first, or
// prints usage for help. Each subcommand's errors name it:
// `hirebridge events get: ...`.
func runSubcommand(ctx context.Context, command, usage string, subs []subcommand, args, environ []string, stdout io.Writer) error {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.name
	}
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return &usageError{command: command, msg: "which one? " + strings.Join(names, " or "), usageShown: true}
	}
	name, args := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if _, err := io.WriteString(stdout, usage); err != nil {
			return err
		}
		return flag.ErrHelp
	}
	for _, s := range subs {
		if s.name == name {
			return forPeople(command+" "+name, s.run(ctx, args, environ, stdout))
		}
	}
	return &usageError{command: command, msg: fmt.Sprintf("unknown %s command %q; one of %s", command, name, strings.Join(names, ", "))}
}

// parseWithArgs reads args as parse does, but takes flags after the
// arguments too: `events get ID -json` as well as `events get -json ID`.
// It returns the arguments.
func (c *commandFlags) parseWithArgs(args []string, stdout io.Writer) ([]string, error) {
	var operands []string
	for {
		if err := c.parse(args, stdout); err != nil {
			return nil, err
		}
		if c.NArg() == 0 {
			return operands, nil
		}
		operands = append(operands, c.Arg(0))
		args = c.Args()[1:]
	}
}

// oneID reads args as parseWithArgs does, and returns the one ID they
// must name.
func (c *commandFlags) oneID(args []string, stdout io.Writer) (string, error) {
	operands, err := c.parseWithArgs(args, stdout)
	if err != nil {
		return "", err
	}
	if len(operands) != 1 || operands[0] == "" {
		return "", c.usageErrorf("takes one ID, got %d arguments", len(operands))
	}
	return operands[0], nil
}

// timeFlag reads a -since or -until as replay's -since: empty is no bound,
// a duration counts back from now, else an RFC 3339 time.
func (c *commandFlags) timeFlag(name, value string, now time.Time) (time.Time, error) {
	t, err := replay.ParseSince(value, now)
	if err != nil {
		return time.Time{}, c.usageErrorf("-%s %v", name, err)
	}
	return t, nil
}

// boundsFlags checks -limit and -scan: positive, or zero for the default.
func (c *commandFlags) boundsFlags(limit, scan int) error {
	if limit < 0 {
		return c.usageErrorf("-limit %d: must be positive", limit)
	}
	if scan < 0 {
		return c.usageErrorf("-scan %d: must be positive", scan)
	}
	return nil
}

// searchedWarning is the line said on standard error when a search
// stopped at its bound with older messages left unread.
func searchedWarning(w io.Writer, scanned int, truncated bool) {
	if truncated {
		fmt.Fprintf(w, "searched the newest %d messages; older ones were not read: -scan to read more\n", scanned)
	}
}

// lookupError is err of doing something with the message of an id,
// saying which broker, and, when no message read had the id but older
// ones were left unread, how to read them.
func (b *searchBroker) lookupError(doing string, err error) error {
	nf, ok := errors.AsType[*browse.NotFoundError](err)
	switch {
	case ok && nf.Found.Truncated:
		return fmt.Errorf("%w %s; older ones were not read: -scan to read more", err, b.where)
	case ok:
		return fmt.Errorf("%w %s", err, b.where)
	}
	return fmt.Errorf("%s %s: %w", doing, b.where, err)
}

// storedTime is how the commands print the time a message was stored.
func storedTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// writeJSON writes v as one indented JSON object, as replay -json does;
// a body's <, > and & as they are.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// orDash stands in for an empty column.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
