package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/replay"
	"github.com/hirebridge/hirebridge/schema/events"
)

// replayCommand is `hirebridge replay`: the dead letters that pass now are
// published as if accepted the first time, the rest left (package replay).
func replayCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "report what would be published, publish nothing")
	reason := fs.String("reason", "", "only dead letters with this hirebridge-reason, e.g. unknown_event_type")
	sinceFlag := fs.String("since", "", "only dead letters stored since then: a duration back from now, such as 24h, or an RFC 3339 time")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object, with the outcome of each dead letter")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("replay takes no arguments, got %q; try: hirebridge replay -h", fs.Args())
	}
	since, err := replay.ParseSince(*sinceFlag, time.Now())
	if err != nil {
		return fmt.Errorf("-since %w", err)
	}

	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeSink()
	broker, ok := sink.(replay.Broker)
	if !ok {
		return fmt.Errorf("the %s sink cannot read its dead letters back", cfg.Sink)
	}
	fmt.Fprintf(os.Stderr, "replaying %s %s\n", events.DeadLetterSubject(cfg.Bridge.Prefix), where)

	sum, err := replay.New(broker, cfg.Bridge).Run(ctx, replay.Filter{Reason: *reason, Since: since}, *dryRun)
	if err != nil {
		return err
	}
	if *asJSON {
		err = sum.WriteJSON(stdout)
	} else {
		err = sum.WriteText(stdout)
	}
	if err != nil {
		return err
	}
	if n := sum.Unpublished(); n > 0 {
		return fmt.Errorf("%d dead letters were not published for a broker fault; run replay again (it publishes nothing twice)", n)
	}
	return nil
}
