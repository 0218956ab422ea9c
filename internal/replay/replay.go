// Package replay re-submits dead letters through the handler's own
// validation and normalization, after a schema fix or with strict mode
// off: what passes now is published exactly as if it had been accepted the
// first time (bridge.Config.EventMessage), the rest is left, and the dead
// letters stay where they are. `hirebridge replay` runs it over the dead
// letters (Run), skipping those marked resolved; the console over one at a
// time (One), which it has chosen, resolved or not.
//
// Running it twice publishes nothing twice. Before publishing, replay reads
// the destination of each event it would publish and skips those whose id
// is already there: event ids derive from the content, and the destination
// is the only record that outlives JetStream's duplicate window, the Kafka
// sink's in-memory one, a crash between publish and bookkeeping, and the
// sender re-sending the fixed event itself.
package replay

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Broker is what replay needs of a sink: to publish, and to read back the
// dead letters and what a topic holds.
type Broker interface {
	sinks.Sink
	sinks.Reader
}

// Replayer replays the dead letters of one broker.
type Replayer struct {
	broker Broker
	// resolutions holds the resolved marks, when the broker keeps them.
	resolutions sinks.Resolutions
	cfg         bridge.Config
	// holdBytes bounds the bodies read ahead of their turn while
	// publishing in the order stored (see publishing).
	holdBytes int
}

// defaultHoldBytes is what a run holds of bodies read ahead of their turn:
// on NATS, where the stream is in stored order, nothing; on Kafka, whose
// partitions interleave, enough that one more pass over the dead letters
// is rare.
const defaultHoldBytes = 16 << 20

// New replays the dead letters on broker as the handler configured by cfg
// would take them: its strict mode, prefix, source and publish timeout.
// When broker implements sinks.Resolutions, Run skips the dead letters
// marked resolved.
func New(broker Broker, cfg bridge.Config) *Replayer {
	r := &Replayer{broker: broker, cfg: cfg, holdBytes: defaultHoldBytes}
	r.resolutions, _ = broker.(sinks.Resolutions)
	return r
}

// Filter chooses the dead letters of a run.
type Filter struct {
	// Reason keeps those with this hirebridge-reason; empty keeps all.
	Reason string
	// Since keeps those stored at or after it; zero keeps all.
	Since time.Time
	// IncludeResolved replays the dead letters marked resolved too; Run
	// skips them otherwise (outcome Resolved).
	IncludeResolved bool
}

func (f Filter) matches(st sinks.Stored) bool {
	return f.Reason == "" || st.Header(events.HeaderReason) == f.Reason
}

// Run replays the dead letters f chooses, in the order they were stored,
// and says what became of each; with dryRun it publishes nothing and says
// what it would have published. Bodies are not held from one pass over the
// dead letters to the next: the first notes what each became, the second
// reads them again to publish.
func (r *Replayer) Run(ctx context.Context, f Filter, dryRun bool) (*Summary, error) {
	sum := newSummary(events.DeadLetterSubject(r.cfg.Prefix), f, dryRun)
	marks, err := r.marks(ctx, f)
	if err != nil {
		return nil, err
	}
	letters, err := r.survey(ctx, f, marks, sum)
	if err != nil {
		return nil, err
	}
	there, err := r.holding(ctx, letters)
	if err != nil {
		return nil, err
	}
	p := newPublishing(r, letters, there, dryRun)
	p.run(ctx, f)
	for _, l := range letters {
		sum.add(l.res)
	}
	return sum, nil
}

// One replays a single dead letter, as Run would: the console's action on
// the dead letter it shows. A resolved mark does not stop it: the console
// decides itself whether a dead letter marked resolved is replayed.
func (r *Replayer) One(ctx context.Context, st sinks.Stored, dryRun bool) (Result, error) {
	l, msg := r.prepare(st)
	if msg == nil {
		return l.res, nil
	}
	found, err := r.broker.Holding(ctx, msg.Topic, map[string]bool{msg.ID: true})
	if err != nil {
		return Result{}, fmt.Errorf("looking for the event on %s: %w", msg.Topic, err)
	}
	switch {
	case found[msg.ID]:
		l.res.Outcome = AlreadyPublished
	case dryRun:
		l.res.Outcome = WouldPublish
	default:
		l.res.Outcome, l.res.Detail = r.publish(ctx, msg)
	}
	return l.res, nil
}

// marks are the resolved marks a run honours, read once before the dead
// letters: none when f includes the resolved or the broker keeps no marks.
// A mark set while the run goes on is honoured by the next.
func (r *Replayer) marks(ctx context.Context, f Filter) (map[string]sinks.Mark, error) {
	if f.IncludeResolved || r.resolutions == nil {
		return nil, nil
	}
	marks, err := r.resolutions.Resolved(ctx)
	if err != nil {
		// Replaying without them would publish what an operator
		// decided to leave.
		return nil, fmt.Errorf("reading the resolved marks, to skip the dead letters marked resolved (-include-resolved replays without them): %w", err)
	}
	return marks, nil
}

// survey is the first pass: what each dead letter f chooses becomes now,
// in the order they were stored, without their bodies; those marked
// resolved in marks are skipped.
func (r *Replayer) survey(ctx context.Context, f Filter, marks map[string]sinks.Mark, sum *Summary) ([]*letter, error) {
	var letters []*letter
	err := r.broker.DeadLetters(ctx, f.Since, func(st sinks.Stored) error {
		sum.Read++
		if !f.matches(st) {
			return nil
		}
		id := browse.DeadLetterID(st)
		if m, ok := marks[id]; ok {
			letters = append(letters, skipped(st, id, m))
			return nil
		}
		l, _ := r.prepare(st)
		letters = append(letters, l)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the dead letters: %w", err)
	}
	// In the order they were stored, so events about one entity are
	// published in the order they were sent. Kafka's partitions interleave.
	slices.SortStableFunc(letters, func(a, b *letter) int { return a.res.Stored.Compare(b.res.Stored) })
	return letters, nil
}

// holding is which of the events the letters became their destinations
// hold already.
func (r *Replayer) holding(ctx context.Context, letters []*letter) (map[string]bool, error) {
	byTopic := map[string]map[string]bool{}
	for _, l := range letters {
		if l.topic == "" {
			continue
		}
		if byTopic[l.topic] == nil {
			byTopic[l.topic] = map[string]bool{}
		}
		byTopic[l.topic][l.msgID] = true
	}
	there := map[string]bool{}
	for topic, ids := range byTopic {
		found, err := r.broker.Holding(ctx, topic, ids)
		if err != nil {
			return nil, fmt.Errorf("looking for the events on %s: %w", topic, err)
		}
		for id := range found {
			there[id] = true
		}
	}
	return there, nil
}
