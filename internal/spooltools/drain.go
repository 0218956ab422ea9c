package spooltools

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// DrainResult is what a drain did with a spool directory.
type DrainResult struct {
	Dir string
	spool.Drained
}

// Drain forwards what the spool in cfg.Dir holds to sink, the broker the
// service uses, with the service's own forwarder (spool.Drain): in order,
// each event with its id, so a broker that has one already (an event
// forwarded just before a crash) drops it as a duplicate on NATS. The
// caller holds the directory's lock and closes sink.
func Drain(ctx context.Context, cfg spool.Config, sink sinks.Sink) (*DrainResult, error) {
	d, err := spool.Drain(ctx, cfg, sink)
	if err != nil {
		return nil, fmt.Errorf("spool drain: %w", err)
	}
	return &DrainResult{Dir: cfg.Dir, Drained: d}, nil
}

// WriteText writes the summary for people: one line of counts, then what
// needs a look, if anything does.
func (r *DrainResult) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "drained %s: forwarded %d, dead-lettered %d, quarantined %d, left %d (of %d held, in %s)\n",
		r.Dir, r.Forwarded, r.DeadLettered, r.Quarantined, r.Left, r.Held, r.Took.Round(time.Millisecond))
	if r.DeadLettered > 0 {
		fmt.Fprintf(&b, "%d refused by the broker for good are on the dead letters (reason undeliverable): hirebridge replay -reason undeliverable\n", r.DeadLettered)
	}
	if r.Quarantine > 0 {
		fmt.Fprintf(&b, "the spool's quarantine holds %d records that cannot be forwarded: hirebridge spool list, hirebridge spool export\n", r.Quarantine)
	}
	if f := r.Recovery.MovedAside; f != "" {
		fmt.Fprintf(&b, "the spool file was damaged and moved aside as %s (%d records readable): hirebridge spool salvage %s\n",
			f, r.Recovery.Readable, f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Err is the error a drain that left events ends with: nothing is lost,
// and another drain forwards them.
func (r *DrainResult) Err() error {
	if r.Left == 0 {
		return nil
	}
	cause := "it was stopped"
	if r.Halted != nil {
		cause = fmt.Sprintf("the broker stopped taking them: %v", r.Halted)
	}
	return fmt.Errorf("%d events left in %s (%s); nothing is lost: they stay in the spool, run drain again once the broker answers",
		r.Left, r.Dir, cause)
}
