package spool

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

// Forwarding in ordered batches. One record per round trip drains a
// backlog at the broker's latency (a few hundred events a second on
// Kafka), slower than a busy bridge accepts new events, so after an outage
// it would never catch up. A sink that publishes batches
// (sinks.BatchPublisher) takes a page of records in one call, stored in
// order, and acknowledges a prefix; each acknowledged record is removed as
// before, one by one, only after its ack. The next page is read and
// decoded meanwhile (readAhead), so the broker does not wait for the disk
// between batches; it is published only once the page before it is
// settled, in order.
//
// On a failure in the middle, the record the batch stopped on goes the way
// of one at a time (deliver): published alone until the broker stores it,
// with the same backoff, dead letters and quarantine, so the sink's own
// healing for a single publish (a topic or stream created again, a leader
// moved, a record written alone after its batch was too large) applies to
// it; then the records after it go on in batches. Records after it that
// the failed batch may have stored are recognised when sent again (the
// original id: JetStream's duplicate window, the Kafka sink's), never
// stored twice; the order they keep is each sink's PublishBatch's to say.

// errLeftOnDisk ends the span of a record the forwarder took in a batch
// but stopped before settling: it stays in the spool.
var errLeftOnDisk = errors.New("the spool stopped forwarding before the broker acknowledged it; it stays on disk and is forwarded later")

// inFlight is a record of a batch: as spooled, and as published (out,
// with the forwarding span's trace context).
type inFlight struct {
	e       entry
	m, out  *sinks.Message
	span    trace.Span
	spanCtx context.Context
}

// page is a read of the store: its entries, and for batches each record
// that checks as inFlight (the others quarantined).
type page struct {
	entries []entry
	items   []inFlight
	err     error
}

// readPage reads the records after the sequence number after; checked, it
// checks them for batches too.
func (sp *Spool) readPage(ctx context.Context, after uint64, checked bool) page {
	entries, err := sp.store.read(after, readBatch)
	p := page{entries: entries, err: err}
	if checked {
		p.items = sp.checkAll(ctx, entries)
	}
	return p
}

// readAhead reads and checks the page after the sequence number after in
// the background, while the page before it is published: reading and
// decoding a page then costs no time the broker waits for.
func (sp *Spool) readAhead(ctx context.Context, after uint64) chan page {
	c := make(chan page, 1)
	go func() { c <- sp.readPage(ctx, after, true) }()
	return c
}

// settleAhead waits for a page read ahead, if any, and ends the spans of
// its records: they stay in the spool, read again later.
func settleAhead(ahead chan page) {
	if ahead != nil {
		leave((<-ahead).items)
	}
}

// checkAll checks entries, quarantining those that fail, and starts the
// forwarding span of the others.
func (sp *Spool) checkAll(ctx context.Context, entries []entry) []inFlight {
	items := make([]inFlight, 0, len(entries))
	for _, e := range entries {
		m, err := sp.check(e)
		if err != nil {
			sp.quarantine(e, storedSize(e.raw, e.body), reasonOf(err), err, sp.cfg.Log.Error())
			continue
		}
		spanCtx, span, out := sp.spans.startForward(ctx, m)
		items = append(items, inFlight{e: e, m: m, out: out, span: span, spanCtx: spanCtx})
	}
	return items
}

// forwardBatches forwards items, a page read from the store and checked,
// through b. It reports false when the spool stops.
func (sp *Spool) forwardBatches(ctx context.Context, b sinks.BatchPublisher, items []inFlight, paused *bool, retry *backoff.Backoff) bool {
	outs := make([]*sinks.Message, len(items))
	for i := range items {
		outs[i] = items[i].out
	}
	for len(items) > 0 {
		if sp.stopRequested() {
			leave(items)
			return false
		}
		pctx, cancel := context.WithTimeout(ctx, sp.cfg.AckTimeout)
		acks, err := b.PublishBatch(pctx, outs)
		cancel()
		for i := range acks {
			it := &items[i]
			sp.done(it.e.seq, Size(it.m))
			sp.forwarded.Add(1)
			endForward(it.span, nil)
		}
		if len(acks) > 0 {
			sp.resumed(paused)
			retry.Reset()
		}
		items, outs = items[len(acks):], outs[len(acks):]
		if len(items) == 0 || err == nil && len(acks) > 0 {
			// Done, or the batch was cut short: the rest in the next.
			continue
		}
		it := items[0]
		if !sp.deliverIn(it.spanCtx, it.span, it.e, it.m, it.out, paused, retry) {
			leave(items[1:])
			return false
		}
		items, outs = items[1:], outs[1:]
	}
	return true
}

// leave ends the spans of records left in the spool.
func leave(items []inFlight) {
	for _, it := range items {
		endForward(it.span, errLeftOnDisk)
	}
}
