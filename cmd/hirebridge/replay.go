package main

import (
	"context"
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
	fs := newCommandFlags("replay", "[-dry-run] [-reason CODE] [-since WHEN] [-json] [-include-resolved]", replayAbout, replayExamples)
	dryRun := fs.Bool("dry-run", false, "report what would be published, publish nothing")
	reason := fs.reasonFlag()
	sinceFlag := fs.sinceFlag("dead letters")
	asJSON := fs.Bool("json", false, "print the summary as one JSON object, with the outcome of each dead letter")
	includeResolved := fs.Bool("include-resolved", false, "replay the dead letters marked resolved too (by the console or\nhirebridge deadletters resolve); skipped otherwise")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	// Both checked before the broker is reached: a typo costs no
	// connection, and a misspelt reason would match nothing, which looks
	// like a run with nothing to replay.
	if err := fs.checkReason(*reason); err != nil {
		return err
	}
	since, err := fs.timeFlag("since", *sinceFlag, time.Now())
	if err != nil {
		return err
	}
	cfg, err := config.Load(environ)
	if err != nil {
		return err
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

	sum, err := replay.New(capReplay(cfg, broker), cfg.Bridge).Run(ctx, replay.Filter{Reason: *reason, Since: since, IncludeResolved: *includeResolved}, *dryRun)
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

const replayAbout = `Publish the dead letters (<prefix>.dlq) that pass validation now, as if
the webhook had accepted them the first time; leave the rest. Dead letters
are never removed or changed, and nothing is published twice: what the
destination holds already is skipped. It runs with the service's
HIREBRIDGE_* settings, whether the service runs or not; set
HIREBRIDGE_STRICT=false for the run to let undocumented event types
through. Dead letters marked resolved (by the console or hirebridge
deadletters resolve) are skipped, unless -include-resolved. It exits 1
when a broker fault left dead letters unpublished: run it again.
`

const replayExamples = `  HIREBRIDGE_STRICT=false hirebridge replay -dry-run
      report what would be published, and what would still be rejected
  HIREBRIDGE_STRICT=false hirebridge replay -reason unknown_event_type -since 24h
      publish the undocumented events rejected in the last day
  hirebridge replay -reason undeliverable
      publish again the events the broker refused, once it takes them
  hirebridge replay -include-resolved -dry-run
      what would be published, the dead letters marked resolved included
`
