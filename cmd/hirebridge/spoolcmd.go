package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/internal/spooltools"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

const spoolUsage = `Usage:
  hirebridge spool list           the events waiting, the quarantine (with why),
                                  and damaged files moved aside
  hirebridge spool export         the quarantined records, one JSON object a line
  hirebridge spool salvage [-dry-run] FILE
                                  forward what a moved-aside spool file still
                                  holds to the broker, skipping what is there
  hirebridge spool drain [DIR]    forward a spool no bridge runs on any more
                                  (a volume whose pod is gone) to the broker

What the spool (HIREBRIDGE_SPOOL) holds, and what a damaged one still
holds. list, export and drain read HIREBRIDGE_SPOOL_DIR (drain: or DIR)
while no bridge runs on it; salvage reaches the broker as replay does
(the service may be running). Each takes -h for its usage.

Examples:
  hirebridge spool list
  hirebridge spool export > quarantine.jsonl
  hirebridge spool salvage -dry-run data/spool/spool.db.corrupt-20261206T230405Z
  hirebridge spool drain /spool
`

// spoolCommand runs `hirebridge spool ...` (package spooltools). Each
// subcommand's errors name it: `hirebridge spool list: ...`.
func spoolCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	if len(args) == 0 {
		// Which one is the question: the usage answers it, on standard
		// error since it is not what was asked for.
		fmt.Fprint(os.Stderr, spoolUsage)
		return &usageError{command: "spool", msg: "which one? list, export, salvage or drain", usageShown: true}
	}
	sub, args := args[0], args[1:]
	var err error
	switch sub {
	case "list":
		err = spoolDirCommand(sub, args, environ, stdout, listAbout, listExamples, spooltools.List)
	case "export":
		err = spoolDirCommand(sub, args, environ, stdout, exportAbout, exportExamples, spooltools.Export)
	case "salvage":
		err = spoolSalvage(ctx, args, environ, stdout)
	case "drain":
		err = spoolDrain(ctx, args, environ, stdout)
	case "help", "-h", "-help", "--help":
		if _, err := io.WriteString(stdout, spoolUsage); err != nil {
			return err
		}
		return flag.ErrHelp
	default:
		return &usageError{command: "spool", msg: fmt.Sprintf("unknown spool command %q; one of list, export, salvage, drain", sub)}
	}
	return forPeople("spool "+sub, err)
}

const listAbout = `List what the spool holds: the events waiting to be forwarded, the
quarantine (each record with why it could not be forwarded), and damaged
spool files moved aside (for spool salvage). It reads HIREBRIDGE_SPOOL_DIR
(default: <HIREBRIDGE_DATA_DIR>/spool) while no bridge runs on it; the
running service reports its spool on /metrics (hirebridge_spool_*).
`

const listExamples = `  hirebridge spool list
  HIREBRIDGE_SPOOL_DIR=/var/lib/hirebridge/spool hirebridge spool list
`

const exportAbout = `Print the quarantined records, one JSON object a line, to keep them or
send them on by other means. It reads HIREBRIDGE_SPOOL_DIR (default:
<HIREBRIDGE_DATA_DIR>/spool) while no bridge runs on it.
`

const exportExamples = `  hirebridge spool export > quarantine.jsonl
`

// spoolDirCommand is a spool subcommand that reads the spool directory
// (list, export): -h, no arguments.
func spoolDirCommand(sub string, args, environ []string, stdout io.Writer, about, examples string,
	read func(w io.Writer, dir string) error) error {
	fs := newCommandFlags("spool "+sub, "", about, examples)
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	return withSpoolDir(cfg, func(dir string) error { return read(stdout, dir) })
}

// withSpoolDir runs f on the spool directory under its lock: bbolt's own
// lock would only time out while the service holds the file, without
// saying who.
func withSpoolDir(cfg config.Config, f func(dir string) error) error {
	dir := cfg.Spool.Dir
	if _, err := os.Stat(filepath.Join(dir, spool.FileName)); err != nil {
		return fmt.Errorf("%sSPOOL_DIR %s holds no spool: %w", config.Prefix, datadir.Abs(dir), err)
	}
	lock, err := datadir.Take(dir, config.Prefix+"SPOOL_DIR", "spool directory")
	if err != nil {
		return fmt.Errorf("%w; the running service reports its spool on /metrics (hirebridge_spool_*)", err)
	}
	defer func() { _ = lock.Unlock() }()
	return f(dir)
}

// spoolSalvage is `hirebridge spool salvage FILE`: the file is read before
// the broker is reached, so a file that cannot be salvaged costs no
// connection.
func spoolSalvage(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("spool salvage", "[-dry-run] FILE", salvageAbout, salvageExamples)
	dryRun := fs.Bool("dry-run", false, "report what would be forwarded, publish nothing")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fs.usageErrorf("takes one FILE, a spool file moved aside (hirebridge spool list names them), got %d arguments%s",
			fs.NArg(), flagAfterArgs(fs.Args()))
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	salvage, err := spooltools.ReadSalvage(fs.Arg(0))
	if err != nil {
		return err
	}
	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeSink()
	fmt.Fprintf(os.Stderr, "salvaging %s %s\n", fs.Arg(0), where)
	res, err := salvage.Forward(ctx, sink, spooltools.Forwarding{
		DryRun:         *dryRun,
		DeadLetters:    events.DeadLetterSubject(cfg.Bridge.Prefix),
		PublishTimeout: cfg.Bridge.PublishTimeout,
	})
	if err != nil {
		return err
	}
	if err := res.WriteText(stdout); err != nil {
		return err
	}
	if res.NoteErr != nil {
		fmt.Fprintf(os.Stderr, "could not note the salvage beside the file: %v\n", res.NoteErr)
	}
	return res.Err()
}

const salvageAbout = `Publish what a damaged spool file, moved aside at start, still holds:
what checks out, in order, to the broker the service uses (reached as
replay reaches it, the service running or not), skipping the events the
destination holds already, so a second run publishes nothing twice;
refused events go to the dead letters. A note beside the file
(<FILE>.salvaged) says what became of each.

FILE      a spool file moved aside, spool.db.corrupt-<UTC time>
          (hirebridge spool list names them)
`

const salvageExamples = `  hirebridge spool salvage -dry-run data/spool/spool.db.corrupt-20261206T230405Z
  hirebridge spool salvage data/spool/spool.db.corrupt-20261206T230405Z
`
