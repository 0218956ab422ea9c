package spool

import (
	"context"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// Drained is what Drain did with a spool.
type Drained struct {
	// Held is how many events the spool held when Drain began.
	Held int64
	// Outcomes is what became of those taken out of the queue.
	Outcomes
	// Left is how many events stay in the spool, and their bytes.
	Left, LeftBytes int64
	// Quarantine is how many records the spool's quarantine holds now,
	// put there by this drain or earlier.
	Quarantine int64
	Took       time.Duration
	// Halted is the broker's error that stopped forwarding, when one did.
	Halted error
	// Recovery is what was found of the file before it was trusted: a
	// damaged one is moved aside (for `hirebridge spool salvage`) and an
	// empty spool drained in its place.
	Recovery Recovery
}

// Drain forwards what the spool in cfg.Dir holds to inner, with the
// forwarder the service uses: in order (in batches where inner publishes
// batches), each with its own id and headers, refused ones to the dead
// letters or the quarantine. It
// returns once the spool is empty, at the broker's first failure, or when
// ctx ends; what is left stays on disk, whole. It is for a spool no bridge
// will run on again, such as a volume whose pod is gone: the caller holds
// the directory's lock. inner stays open, the caller's to close.
func Drain(ctx context.Context, cfg Config, inner sinks.Sink) (Drained, error) {
	sp, err := open(cfg, inner)
	if err != nil {
		return Drained{}, err
	}
	// Closed from the start, since nothing is published through it: the
	// forwarder then stops at the broker's first failure, as when the
	// service stops, rather than wait for the broker to come back.
	sp.gate.Close()
	held, _ := sp.Held()
	start := time.Now()
	sp.startForwarding()
	f := sp.finish(ctx, false)
	// A spool of its own: all this process forwarded is the drain's.
	d := Drained{Held: held, Outcomes: sp.outcomes(), Quarantine: sp.Quarantined(), Took: time.Since(start), Recovery: sp.recovery}
	d.Left, d.LeftBytes = sp.Held()
	if p := sp.halted.Load(); p != nil {
		d.Halted = *p
	}
	return d, f.err
}
