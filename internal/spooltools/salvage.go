package spooltools

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// What a salvage did with each record; the words of its summary and of the
// note it leaves beside the file (spool.SalvageNote).
const (
	SalvagePublished    = "published"
	SalvageWouldPublish = "would_publish"
	SalvageAlready      = "already_published"
	SalvageDeadLettered = "dead_lettered"
	SalvageRefused      = "refused"
	SalvageDamaged      = "damaged"
	SalvageFailed       = "failed"
	SalvageNotTried     = "not_tried"
)

var salvageOrder = []string{SalvagePublished, SalvageWouldPublish, SalvageAlready, SalvageDeadLettered, SalvageRefused, SalvageDamaged, SalvageFailed, SalvageNotTried}

// Salvage is a spool file moved aside, read once for the ids of what it
// holds: the first of a salvage's two reads, which needs no broker and
// holds no body.
type Salvage struct {
	file    string
	byTopic map[string]map[string]bool
	report  spool.FileReport
}

// ReadSalvage reads file, a spool file moved aside, for the ids to look
// for on each destination.
func ReadSalvage(file string) (*Salvage, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("spool salvage: %w", err)
	}
	s := &Salvage{file: file, byTopic: map[string]map[string]bool{}}
	rep, err := spool.ReadFile(file, sinks.HoldsItsBody, func(r spool.Salvaged) error {
		if r.Msg != nil {
			if s.byTopic[r.Msg.Topic] == nil {
				s.byTopic[r.Msg.Topic] = map[string]bool{}
			}
			s.byTopic[r.Msg.Topic][r.Msg.ID] = true
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spool salvage: %w", err)
	}
	s.report = rep
	return s, nil
}

// Forwarding is how Forward publishes.
type Forwarding struct {
	// DryRun publishes nothing and counts what would be.
	DryRun bool
	// DeadLetters is the dead-letter topic, for what the broker refuses
	// for good.
	DeadLetters    string
	PublishTimeout time.Duration
}

// Forward publishes each record of the file that checks out, in the order
// it was accepted, unless its destination holds its id already (read
// through sink, when it is a sinks.Reader), so a second salvage publishes
// nothing twice. What the broker refuses for good goes to the dead
// letters, as the spool's forwarder does it. Unless it is a dry run, it
// leaves a note beside the file, for the service's /metrics.
func (s *Salvage) Forward(ctx context.Context, sink sinks.Sink, opts Forwarding) (*SalvageResult, error) {
	there := map[string]bool{}
	if reader, ok := sink.(sinks.Reader); ok {
		for topic, ids := range s.byTopic {
			found, err := reader.Holding(ctx, topic, ids)
			if err != nil {
				return nil, fmt.Errorf("looking for the events on %s: %w", topic, err)
			}
			for id := range found {
				there[id] = true
			}
		}
	}
	res := &SalvageResult{File: s.file, Report: s.report, Counts: map[string]int{}}
	_, err := spool.ReadFile(s.file, sinks.HoldsItsBody, func(r spool.Salvaged) error {
		switch m := r.Msg; {
		case m == nil:
			res.Counts[SalvageDamaged]++
		case there[m.ID]:
			res.Counts[SalvageAlready]++
		case opts.DryRun:
			res.Counts[SalvageWouldPublish]++
			there[m.ID] = true
		case res.Halted != nil:
			res.Counts[SalvageNotTried]++
		default:
			outcome, err := forwardOne(ctx, sink, opts, m)
			res.Counts[outcome]++
			if outcome == SalvageFailed {
				// The broker is away: every other publish would wait
				// out its timeout the same way.
				res.Halted = err
			} else {
				there[m.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("spool salvage: %w", err)
	}
	if !opts.DryRun {
		res.NoteErr = spool.WriteSalvageNote(s.file, res.Counts)
	}
	return res, nil
}

// forwardOne publishes m, or its dead letter when the broker refuses it
// for good.
func forwardOne(ctx context.Context, sink sinks.Sink, opts Forwarding, m *sinks.Message) (string, error) {
	publish := func(m *sinks.Message) (sinks.Ack, error) {
		pctx, cancel := context.WithTimeout(ctx, opts.PublishTimeout)
		defer cancel()
		return sink.Publish(pctx, m)
	}
	ack, err := publish(m)
	switch {
	case err == nil && ack.Duplicate:
		return SalvageAlready, nil
	case err == nil:
		return SalvagePublished, nil
	case !sinks.Permanent(err):
		return SalvageFailed, err
	case m.Event == nil:
		return SalvageRefused, err
	}
	if _, derr := publish(sinks.Undeliverable(m, opts.DeadLetters, err)); derr != nil {
		if sinks.Permanent(derr) {
			return SalvageRefused, derr
		}
		return SalvageFailed, derr
	}
	return SalvageDeadLettered, nil
}

// SalvageResult is what a salvage did.
type SalvageResult struct {
	File string
	// Report counts what the first read found.
	Report spool.FileReport
	// Counts counts the records by what became of them.
	Counts map[string]int
	// Halted is the broker fault that stopped forwarding, if one did.
	Halted error
	// NoteErr says why the note beside the file could not be written.
	NoteErr error
}

// WriteText writes the summary for people: what the file held, then a
// line per outcome that occurred.
func (r *SalvageResult) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d records readable, %d damaged", r.File, r.Report.Readable, r.Report.Damaged)
	if r.Report.Skipped {
		fmt.Fprint(w, ", and stretches that could not be read at all")
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, o := range salvageOrder {
		if r.Counts[o] > 0 {
			fmt.Fprintf(tw, "%s\t%d\n", o, r.Counts[o])
		}
	}
	return tw.Flush()
}

// Err is the error a salvage a broker fault stopped ends with.
func (r *SalvageResult) Err() error {
	if r.Halted == nil {
		return nil
	}
	return fmt.Errorf("%d records were not forwarded for a broker fault (%w); run salvage again (it forwards nothing twice)",
		r.Counts[SalvageFailed]+r.Counts[SalvageNotTried], r.Halted)
}
