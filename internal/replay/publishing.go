package replay

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/sinks"
)

// publishing is the second part of a run: the letters that pass now,
// decided in the order they were stored, their bodies read again from the
// dead letters. A body read in its turn is published at once; one read
// ahead of its turn (Kafka's partitions are read one after the other) is
// held while the held bodies stay within the replayer's holdBytes, and
// otherwise read again on another pass. The first letter waiting is
// published on every pass, so passes end.
type publishing struct {
	r      *Replayer
	dryRun bool
	// queue holds the letters that pass, in the order stored; those before
	// next are decided.
	queue []*letter
	next  int
	// byKey holds every letter of the run in the order read, for the
	// passes to find them again.
	byKey map[letterKey][]*letter
	// there holds the ids their destinations hold: found before the run,
	// and published during it.
	there     map[string]bool
	held      map[*letter]sinks.Stored
	heldBytes int
	// halted is the broker fault that stopped publishing: every other
	// publish would wait out its timeout the same way.
	halted error
}

// newPublishing takes letters in the order stored.
func newPublishing(r *Replayer, letters []*letter, there map[string]bool, dryRun bool) *publishing {
	p := &publishing{r: r, dryRun: dryRun, byKey: map[letterKey][]*letter{}, there: there, held: map[*letter]sinks.Stored{}}
	for _, l := range letters {
		// Letters that share a key share their time too, so the stable
		// sort by time kept them in the order read.
		p.byKey[l.key] = append(p.byKey[l.key], l)
		if l.topic != "" {
			l.turn = len(p.queue)
			p.queue = append(p.queue, l)
		}
	}
	return p
}

// run decides every letter of the queue, reading the dead letters again
// as long as one waits for its body.
func (p *publishing) run(ctx context.Context, f Filter) {
	for p.advance(ctx); p.next < len(p.queue); p.advance(ctx) {
		before := p.next
		if err := p.pass(ctx, f); err != nil {
			p.halted = fmt.Errorf("reading the dead letters: %w", err)
			continue
		}
		if p.next == before {
			// Not read again: the stream's or topic's limits removed it
			// since the first pass.
			l := p.queue[p.next]
			l.res.Outcome, l.res.Detail = NotTried, "gone from the dead letters before its turn came"
			p.next++
		}
	}
}

// pass reads the dead letters once, publishing each body in its turn and
// holding what it can of those ahead of it.
func (p *publishing) pass(ctx context.Context, f Filter) error {
	occurrence := map[letterKey]int{}
	return p.r.broker.DeadLetters(ctx, f.Since, func(st sinks.Stored) error {
		if !f.matches(st) {
			return nil
		}
		k := keyOf(st, browse.DeadLetterID(st))
		n := occurrence[k]
		occurrence[k]++
		if n >= len(p.byKey[k]) {
			return nil // stored after the first pass
		}
		l := p.byKey[k][n]
		if _, ok := p.held[l]; ok || l.turn < p.next {
			return nil
		}
		switch {
		case l.turn == p.next:
			p.decide(ctx, l, &st)
			p.next++
			p.advance(ctx)
		case p.heldBytes+len(st.Body) <= p.r.holdBytes:
			// A reader may reuse what it passed once the call returns.
			st.Body, st.Headers = bytes.Clone(st.Body), slices.Clone(st.Headers)
			p.held[l] = st
			p.heldBytes += len(st.Body)
		}
		return nil
	})
}

// advance decides the letters in turn as far as the bodies held allow.
func (p *publishing) advance(ctx context.Context) {
	for p.next < len(p.queue) {
		l := p.queue[p.next]
		st, ok := p.held[l]
		var body *sinks.Stored
		if ok {
			body = &st
		}
		if !p.decide(ctx, l, body) {
			return
		}
		if ok {
			delete(p.held, l)
			p.heldBytes -= len(st.Body)
		}
		p.next++
	}
}

// decide says what becomes of l, publishing it from st, its dead letter
// read again; false when it is to be published and st is nil.
func (p *publishing) decide(ctx context.Context, l *letter, st *sinks.Stored) bool {
	switch {
	case p.there[l.msgID]:
		l.res.Outcome = AlreadyPublished
	case p.dryRun:
		l.res.Outcome = WouldPublish
		p.there[l.msgID] = true
	case p.halted != nil:
		l.res.Outcome, l.res.Detail = NotTried, "not tried after the broker failed: "+p.halted.Error()
	case st == nil:
		return false
	default:
		p.publish(ctx, l, *st)
	}
	return true
}

func (p *publishing) publish(ctx context.Context, l *letter, st sinks.Stored) {
	_, msg := p.r.prepare(st)
	if msg == nil || msg.ID != l.msgID {
		// Not while prepare depends on the dead letter alone; said rather
		// than published under an id the first pass did not look for.
		l.res.Outcome, l.res.Detail = NotTried, "read again, the dead letter no longer becomes the same event"
		return
	}
	l.res.Outcome, l.res.Detail = p.r.publish(ctx, msg)
	switch l.res.Outcome {
	case Published, AlreadyPublished:
		p.there[l.msgID] = true
	case Failed:
		p.halted = errors.New(l.res.Detail)
	}
}
