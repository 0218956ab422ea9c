package main

import (
	"context"
	"errors"
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

const spoolUsage = `hirebridge spool: what the spool holds, and what a damaged one still holds

  hirebridge spool list           the events waiting, the quarantine (with why),
                                  and damaged files moved aside
  hirebridge spool export         the quarantined records, one JSON object a line
  hirebridge spool salvage [-dry-run] FILE
                                  forward what a moved-aside spool file still
                                  holds to the broker, skipping what is there

list and export read HIREBRIDGE_SPOOL_DIR while no bridge runs on it;
salvage reaches the broker as replay does (the service may be running).
`

// spoolCommand runs `hirebridge spool ...` (package spooltools).
func spoolCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		_, err := io.WriteString(stdout, spoolUsage)
		return err
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		return withSpoolDir(cfg, func(dir string) error { return spooltools.List(stdout, dir) })
	case "export":
		return withSpoolDir(cfg, func(dir string) error { return spooltools.Export(stdout, dir) })
	case "salvage":
		return spoolSalvage(ctx, cfg, args, stdout)
	case "help", "-h", "--help":
		_, err := io.WriteString(stdout, spoolUsage)
		return err
	}
	return fmt.Errorf("unknown spool command %q; try: hirebridge spool help", sub)
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
func spoolSalvage(ctx context.Context, cfg config.Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("spool salvage", flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "report what would be forwarded, publish nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("spool salvage takes one file, a spool file moved aside (see: hirebridge spool list)")
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
