package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/sinks"
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

// spoolCommand runs `hirebridge spool ...`.
func spoolCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
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
		return withSpoolDir(cfg, func(dir string) error { return spoolList(dir, stdout) })
	case "export":
		return withSpoolDir(cfg, func(dir string) error { return spoolExport(dir, stdout) })
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
func withSpoolDir(cfg Config, f func(dir string) error) error {
	dir := spoolConfig(cfg, zerolog.Nop()).Dir
	if _, err := os.Stat(filepath.Join(dir, spool.FileName)); err != nil {
		return fmt.Errorf("%sSPOOL_DIR %s holds no spool: %w", envPrefix, absPath(dir), err)
	}
	lock, err := lockDir(dir, "SPOOL_DIR", "spool directory")
	if err != nil {
		return fmt.Errorf("%w; the running service reports its spool on /metrics (hirebridge_spool_*)", err)
	}
	defer func() { _ = lock.unlock() }()
	return f(dir)
}

func spoolList(dir string, stdout io.Writer) error {
	var events, size int64
	var oldest time.Time
	rep, err := spool.Queued(dir, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		events++
		size += int64(len(s.Raw) + len(s.Body))
		if oldest.IsZero() && s.AcceptedAt != 0 {
			oldest = time.Unix(0, s.AcceptedAt)
		}
		return nil
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "spool %s\n\n", absPath(dir))
	fmt.Fprintf(stdout, "waiting: %d events (%d bytes stored)", events, size)
	if !oldest.IsZero() {
		fmt.Fprintf(stdout, ", the oldest accepted %s", oldest.UTC().Format(time.RFC3339))
	}
	fmt.Fprintln(stdout)
	if rep.Damaged > 0 {
		fmt.Fprintf(stdout, "  %d of them no longer check out: the bridge quarantines them when it reaches them\n", rep.Damaged)
	}

	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	n := 0
	err = spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		if n == 0 {
			fmt.Fprintln(stdout, "\nquarantine:")
			fmt.Fprintln(tw, "  seq\treason\tquarantined\ttopic\tid\tdetail")
		}
		n++
		topic, id := "?", "?"
		if q.Msg != nil {
			topic, id = q.Msg.Topic, q.Msg.ID
		}
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\t%s\t%s\n", q.Seq, q.Reason, q.At.UTC().Format(time.RFC3339), topic, id, q.Detail)
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if n == 0 {
		fmt.Fprintln(stdout, "\nquarantine: empty")
	} else {
		fmt.Fprintf(stdout, "  %d records; `hirebridge spool export` writes them out\n", n)
	}

	files, err := spool.MovedAsideFiles(dir)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return nil
	}
	fmt.Fprintln(stdout, "\ndamaged files moved aside:")
	for _, f := range files {
		rep, err := spool.ReadFile(f, sinks.HoldsItsBody, func(spool.Salvaged) error { return nil })
		if err != nil {
			fmt.Fprintf(stdout, "  %s: unreadable (%v)\n", f, err)
			continue
		}
		fmt.Fprintf(stdout, "  %s: %d records readable, %d damaged: hirebridge spool salvage %s\n", f, rep.Readable, rep.Damaged, f)
	}
	return nil
}

// exported is one quarantined record as `spool export` writes it.
type exported struct {
	Seq           uint64            `json:"seq"`
	Reason        string            `json:"reason"`
	Detail        string            `json:"detail"`
	QuarantinedAt *time.Time        `json:"quarantined_at,omitempty"`
	AcceptedAt    *time.Time        `json:"accepted_at,omitempty"`
	Topic         string            `json:"topic,omitempty"`
	ID            string            `json:"id,omitempty"`
	Key           string            `json:"key,omitempty"`
	Event         *sinks.CloudEvent `json:"event,omitempty"`
	Headers       []sinks.Header    `json:"headers,omitempty"`
	// Body is the body when it is JSON, else BodyBase64 holds its bytes.
	Body       json.RawMessage `json:"body,omitempty"`
	BodyBase64 string          `json:"body_base64,omitempty"`
	// Record holds the stored record's bytes when they cannot be decoded.
	RecordBase64 string `json:"record_base64,omitempty"`
}

func spoolExport(dir string, stdout io.Writer) error {
	enc := json.NewEncoder(stdout)
	return spool.ReadQuarantine(dir, func(q spool.Quarantined) error {
		x := exported{Seq: q.Seq, Reason: q.Reason, Detail: q.Detail}
		if !q.At.IsZero() {
			at := q.At.UTC()
			x.QuarantinedAt = &at
		}
		if q.AcceptedAt != 0 {
			at := time.Unix(0, q.AcceptedAt).UTC()
			x.AcceptedAt = &at
		}
		if m := q.Msg; m != nil {
			x.Topic, x.ID, x.Key, x.Event, x.Headers = m.Topic, m.ID, m.Key, m.Event, m.Headers
		} else {
			x.RecordBase64 = base64.StdEncoding.EncodeToString(q.Raw)
		}
		if json.Valid(q.Body) {
			x.Body = q.Body
		} else {
			x.BodyBase64 = base64.StdEncoding.EncodeToString(q.Body)
		}
		return enc.Encode(x)
	})
}

// What salvage did with each record.
const (
	salvagePublished    = "published"
	salvageWouldPublish = "would_publish"
	salvageAlready      = "already_published"
	salvageDeadLettered = "dead_lettered"
	salvageRefused      = "refused"
	salvageDamaged      = "damaged"
	salvageFailed       = "failed"
	salvageNotTried     = "not_tried"
)

var salvageOrder = []string{salvagePublished, salvageWouldPublish, salvageAlready, salvageDeadLettered, salvageRefused, salvageDamaged, salvageFailed, salvageNotTried}

// spoolSalvage forwards what a store file still holds: each record that
// checks out, in the order it was accepted, unless its destination holds
// its id already, so a second run publishes nothing twice. What the broker
// refuses for good goes to the dead letters, as the forwarder does it.
func spoolSalvage(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("spool salvage", flag.ContinueOnError)
	dryRun := fs.Bool("dry-run", false, "report what would be forwarded, publish nothing")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return errors.New("spool salvage takes one file, a spool file moved aside (see: hirebridge spool list)")
	}
	file := fs.Arg(0)
	if _, err := os.Stat(file); err != nil {
		return fmt.Errorf("spool salvage: %w", err)
	}

	// First pass: the ids to look for on each destination, without
	// holding the bodies.
	byTopic := map[string]map[string]bool{}
	rep, err := spool.ReadFile(file, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		if s.Msg != nil {
			if byTopic[s.Msg.Topic] == nil {
				byTopic[s.Msg.Topic] = map[string]bool{}
			}
			byTopic[s.Msg.Topic][s.Msg.ID] = true
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("spool salvage: %w", err)
	}

	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeSink()
	fmt.Fprintf(os.Stderr, "salvaging %s %s\n", file, where)
	there := map[string]bool{}
	if reader, ok := sink.(sinks.Reader); ok {
		for topic, ids := range byTopic {
			found, err := reader.Holding(ctx, topic, ids)
			if err != nil {
				return fmt.Errorf("looking for the events on %s: %w", topic, err)
			}
			for id := range found {
				there[id] = true
			}
		}
	}

	counts := map[string]int{}
	var halted error
	_, err = spool.ReadFile(file, sinks.HoldsItsBody, func(s spool.Salvaged) error {
		switch m := s.Msg; {
		case m == nil:
			counts[salvageDamaged]++
		case there[m.ID]:
			counts[salvageAlready]++
		case *dryRun:
			counts[salvageWouldPublish]++
			there[m.ID] = true
		case halted != nil:
			counts[salvageNotTried]++
		default:
			outcome, err := salvageOne(ctx, cfg, sink, m)
			counts[outcome]++
			if outcome == salvageFailed {
				// The broker is away: every other publish would wait
				// out its timeout the same way.
				halted = err
			} else {
				there[m.ID] = true
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("spool salvage: %w", err)
	}
	fmt.Fprintf(stdout, "%s: %d records readable, %d damaged", file, rep.Readable, rep.Damaged)
	if rep.Skipped {
		fmt.Fprint(stdout, ", and stretches that could not be read at all")
	}
	fmt.Fprintln(stdout)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	for _, o := range salvageOrder {
		if counts[o] > 0 {
			fmt.Fprintf(tw, "%s\t%d\n", o, counts[o])
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if !*dryRun {
		// For the service's /metrics: this file is salvaged.
		if err := spool.WriteSalvageNote(file, counts); err != nil {
			fmt.Fprintf(os.Stderr, "could not note the salvage beside the file: %v\n", err)
		}
	}
	if halted != nil {
		return fmt.Errorf("%d records were not forwarded for a broker fault (%w); run salvage again (it forwards nothing twice)",
			counts[salvageFailed]+counts[salvageNotTried], halted)
	}
	return nil
}

// salvageOne publishes m, or its dead letter when the broker refuses it
// for good.
func salvageOne(ctx context.Context, cfg Config, sink sinks.Sink, m *sinks.Message) (string, error) {
	publish := func(m *sinks.Message) (sinks.Ack, error) {
		pctx, cancel := context.WithTimeout(ctx, cfg.Bridge.PublishTimeout)
		defer cancel()
		return sink.Publish(pctx, m)
	}
	ack, err := publish(m)
	switch {
	case err == nil && ack.Duplicate:
		return salvageAlready, nil
	case err == nil:
		return salvagePublished, nil
	case !sinks.Permanent(err):
		return salvageFailed, err
	case m.Event == nil:
		return salvageRefused, err
	}
	if _, derr := publish(sinks.Undeliverable(m, sinks.DeadLetterTopic(cfg.Bridge.Prefix), err)); derr != nil {
		if sinks.Permanent(derr) {
			return salvageRefused, derr
		}
		return salvageFailed, derr
	}
	return salvageDeadLettered, nil
}
