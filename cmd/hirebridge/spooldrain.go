package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/datadir"
	"github.com/hirebridge/hirebridge/internal/spooltools"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// spoolDrain is `hirebridge spool drain [DIR]`: the spool is checked and
// locked before the broker is reached, so a wrong directory, or one a
// running bridge holds, costs no connection, and a broker that cannot be
// reached leaves the spool as it was.
func spoolDrain(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("spool drain", "[DIR]", drainAbout, drainExamples)
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fs.usageErrorf("takes at most one DIR, the spool directory, got %s%s", quoteAll(fs.Args()), flagAfterArgs(fs.Args()))
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	sc := cfg.SpoolConfig(commandLog())
	variable := config.Prefix + "SPOOL_DIR"
	if fs.NArg() == 1 {
		sc.Dir, variable = fs.Arg(0), "DIR"
	}
	if _, err := os.Stat(filepath.Join(sc.Dir, spool.FileName)); err != nil {
		return fmt.Errorf("%s %s holds no spool: %w", variable, datadir.Abs(sc.Dir), err)
	}
	lock, err := datadir.Take(sc.Dir, variable, "spool directory")
	if errors.Is(err, datadir.ErrInUse) {
		return fmt.Errorf("%w; a running bridge forwards its own spool: drain is for a spool no bridge runs on", err)
	}
	if err != nil {
		return err
	}
	defer func() { _ = lock.Unlock() }()
	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return fmt.Errorf("reaching the broker: %w; the spool is left as it was", err)
	}
	defer closeSink()
	fmt.Fprintf(os.Stderr, "draining %s %s\n", datadir.Abs(sc.Dir), where)
	res, err := spooltools.Drain(ctx, sc, sink)
	if err != nil {
		return err
	}
	if err := res.WriteText(stdout); err != nil {
		return err
	}
	return res.Err()
}

const drainAbout = `Forward a spool no bridge runs on any more, such as the volume of a pod
scaled away, to the broker the service uses (HIREBRIDGE_SINK and its
settings): in order, one event at a time, each with its own id, refused
events to the dead letters, what cannot be forwarded to the spool's
quarantine, as the service's own forwarder does. It stops at the broker's
first failure and leaves what it did not forward in the spool. It refuses
a spool a running bridge holds: that bridge forwards it itself.

DIR       the spool directory (default: HIREBRIDGE_SPOOL_DIR, or
          <HIREBRIDGE_DATA_DIR>/spool)

It prints what it did: forwarded, dead-lettered, quarantined, left.
Exit status 0 when nothing is left; 1 when the broker cannot be reached or
stopped taking events (nothing is lost: run it again).
`

const drainExamples = `  hirebridge spool drain /spool
  HIREBRIDGE_NATS_URL=nats://nats:4222 hirebridge spool drain /mnt/old-pod/spool
`
