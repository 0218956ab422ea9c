package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/sinks"
)

// replay re-submits dead letters through the handler's own validation and
// normalization, after a schema fix or with strict mode off: what passes
// now is published exactly as if it had been accepted the first time, the
// rest is left, and the dead letters stay where they are.
//
// Running it twice publishes nothing twice. Before publishing, replay reads
// the destination of each event it would publish and skips those whose id
// is already there: event ids derive from the content, and the
// destination is the only record that outlives JetStream's duplicate
// window, the Kafka sink's in-memory one, a crash between publish and
// bookkeeping, and the sender re-sending the fixed event itself.
func replay(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	cfg, err := loadConfig(environ)
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
	since, err := parseSince(*sinceFlag, time.Now())
	if err != nil {
		return err
	}

	sink, where, closeSink, err := openCommandSink(ctx, cfg)
	if err != nil {
		return err
	}
	defer closeSink()
	reader, ok := sink.(sinks.Reader)
	if !ok {
		return fmt.Errorf("the %s sink cannot read its dead letters back", cfg.Sink)
	}
	fmt.Fprintf(os.Stderr, "replaying %s %s\n", sinks.DeadLetterTopic(cfg.Bridge.Prefix), where)

	r := &replayer{cfg: cfg, sink: sink, reader: reader, dryRun: *dryRun, reason: *reason, since: since}
	sum, err := r.run(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		err = sum.writeJSON(stdout)
	} else {
		err = sum.writeText(stdout)
	}
	if err != nil {
		return err
	}
	if n := sum.Outcomes[outcomeFailed] + sum.Outcomes[outcomeNotReached]; n > 0 {
		return fmt.Errorf("%d dead letters were not published for a broker fault; run replay again (it publishes nothing twice)", n)
	}
	return nil
}

// parseSince reads -since: empty is no limit, a duration counts back from
// now, anything else must be an RFC 3339 time.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return time.Time{}, fmt.Errorf("-since %s: a duration back from now must be positive", s)
		}
		return now.Add(-d), nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("-since %q: neither a duration (24h, 90m) nor an RFC 3339 time (2025-01-02T15:04:05Z)", s)
	}
	return t, nil
}

// openCommandSink opens the broker for a command that publishes (replay,
// spool salvage), logging warnings only, for people, on standard error:
// the command's summary is its output. closeSink flushes and releases it.
func openCommandSink(ctx context.Context, cfg Config) (sink sinks.Sink, where string, closeSink func(), err error) {
	log := zerolog.New(zerolog.ConsoleWriter{Out: os.Stderr, NoColor: true}).Level(zerolog.WarnLevel).With().Timestamp().Logger()
	sink, where, release, err := openReplaySink(ctx, cfg, log)
	if err != nil {
		return nil, "", nil, err
	}
	return sink, where, func() {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		_ = sink.Close(cctx)
		release()
	}, nil
}

// openReplaySink reaches the broker the service publishes to. With the
// embedded default, while the service runs it holds the data directory:
// replay then goes through the server the service runs, found as `tail`
// finds it. While the service is stopped, replay takes the directory
// itself, under its lock, and starts the embedded server on it for the
// time it runs; a service started meanwhile says the directory is in use.
//
// Replay publishes to the broker itself, never through the spool: the
// running service holds the spool's directory, and a replayed event counts
// only once the broker has it.
func openReplaySink(ctx context.Context, cfg Config, log zerolog.Logger) (sinks.Sink, string, func(), error) {
	switch {
	case cfg.Sink == "kafka":
		sink, release, err := openKafka(ctx, cfg, log)
		return sink, "on Kafka at " + strings.Join(cfg.Kafka.Brokers, ","), release, err
	case cfg.Sink != "nats":
		return nil, "", nil, fmt.Errorf("%sSINK: %q is not a sink", envPrefix, cfg.Sink)
	case cfg.NATS.URLs != "":
		sink, release, err := openNATS(ctx, cfg, log)
		return sink, fmt.Sprintf("on NATS stream %s at %s", cfg.NATS.Stream, cfg.NATS.URLs), release, err
	}
	own := cfg
	if !own.embeddedAddrSet {
		// Nobody needs to reach this server but replay, which connects in
		// process: a free port cannot collide with anything.
		own.Embedded.Addr = "127.0.0.1:0"
	}
	sink, release, err := openNATS(ctx, own, log)
	if err == nil {
		return sink, fmt.Sprintf("on NATS stream %s in %s (the service is stopped; its data directory is locked while replay runs)", cfg.NATS.Stream, absPath(cfg.DataDir)), release, nil
	}
	if !errors.Is(err, errDataDirInUse) {
		return nil, "", nil, err
	}
	b, rerr := os.ReadFile(embeddedURLFile(cfg.DataDir))
	if rerr != nil {
		return nil, "", nil, fmt.Errorf("%w; and its embedded server's address is not recorded (%w): is the service still starting?", err, rerr)
	}
	running := cfg
	running.NATS.URLs = strings.TrimSpace(string(b))
	sink, release, err = openNATS(ctx, running, log)
	return sink, fmt.Sprintf("on NATS stream %s at %s (the running service's embedded server)", cfg.NATS.Stream, running.NATS.URLs), release, err
}

// What became of a dead letter.
const (
	outcomePublished    = "published"
	outcomeWouldPublish = "would_publish"
	// The event is already on its destination: replayed before, sent
	// again by the sender once fixed, or the same event as an earlier
	// dead letter of this run.
	outcomeAlready    = "already_published"
	outcomeRejected   = "rejected"
	outcomeChallenge  = "not_an_event"
	outcomeTooLarge   = "too_large"
	// The broker refuses it for good (a subject the credentials may not
	// write): left, until the deployment is fixed.
	outcomeRefused = "refused"
	outcomeFailed     = "failed"
	outcomeNotReached = "not_tried"
)

// outcomeOrder is the order of the summary's columns.
var outcomeOrder = []string{outcomePublished, outcomeWouldPublish, outcomeAlready, outcomeRejected, outcomeChallenge, outcomeTooLarge, outcomeRefused, outcomeFailed, outcomeNotReached}

type replayer struct {
	cfg    Config
	sink   sinks.Sink
	reader sinks.Reader
	dryRun bool
	reason string
	since  time.Time
}

// candidate is a dead letter that passes now, and the message it becomes.
type candidate struct {
	res *deadLetterResult
	msg *sinks.Message
}

func (r *replayer) run(ctx context.Context) (*replaySummary, error) {
	sum := newSummary(r)
	var letters []sinks.Stored
	err := r.reader.DeadLetters(ctx, r.since, func(st sinks.Stored) error {
		sum.Read++
		if r.reason != "" && st.Header("hirebridge-reason") != r.reason {
			return nil
		}
		letters = append(letters, st)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading the dead letters: %w", err)
	}
	// In the order they were stored, so events about one entity are
	// published in the order they were sent. Kafka's partitions interleave.
	slices.SortStableFunc(letters, func(a, b sinks.Stored) int { return a.Time.Compare(b.Time) })

	results := make([]deadLetterResult, len(letters))
	var cands []candidate
	byTopic := map[string]map[string]bool{}
	for i, st := range letters {
		res := &results[i]
		*res = deadLetterResult{
			ID:     "dlq-" + schema.ContentID(st.Body),
			Stored: st.Time.UTC(),
			Reason: st.Header("hirebridge-reason"),
		}
		out := schema.Ingest(st.Body, schema.Options{Strict: r.cfg.Bridge.Strict})
		switch {
		case out.Rejection != nil:
			res.Outcome, res.RejectedAs, res.Detail = outcomeRejected, string(out.Rejection.Reason), out.Rejection.Error()
			res.Event = out.Rejection.Event
		case out.Event == nil:
			// A handshake: the handler answers it, and publishes nothing.
			res.Outcome = outcomeChallenge
		default:
			ev := out.Event
			res.Event, res.EventID = ev.Name, ev.ID
			msg := r.cfg.Bridge.EventMessage(ev, traceOf(st))
			if orig, ok := sinks.Original(st.Headers, st.Body); ok && orig.ID == ev.ID {
				// An event the broker refused for good (undeliverable):
				// published again as it was then, headers and all.
				msg = orig
			}
			cands = append(cands, candidate{res: res, msg: msg})
			if byTopic[msg.Topic] == nil {
				byTopic[msg.Topic] = map[string]bool{}
			}
			byTopic[msg.Topic][msg.ID] = true
		}
	}

	there := map[string]bool{}
	for topic, ids := range byTopic {
		found, err := r.reader.Holding(ctx, topic, ids)
		if err != nil {
			return nil, fmt.Errorf("looking for the events on %s: %w", topic, err)
		}
		for id := range found {
			there[id] = true
		}
	}
	var halted error
	for _, c := range cands {
		switch {
		case there[c.msg.ID]:
			c.res.Outcome = outcomeAlready
		case r.dryRun:
			c.res.Outcome = outcomeWouldPublish
			there[c.msg.ID] = true
		case halted != nil:
			c.res.Outcome, c.res.Detail = outcomeNotReached, "not tried after the broker failed: "+halted.Error()
		default:
			r.publish(ctx, c)
			switch c.res.Outcome {
			case outcomePublished, outcomeAlready:
				there[c.msg.ID] = true
			case outcomeFailed:
				// The broker is away or refusing: every other publish
				// would wait out its timeout the same way.
				halted = errors.New(c.res.Detail)
			}
		}
	}
	for i := range results {
		sum.add(&results[i])
	}
	return sum, nil
}

func (r *replayer) publish(ctx context.Context, c candidate) {
	pctx, cancel := context.WithTimeout(ctx, r.cfg.Bridge.PublishTimeout)
	defer cancel()
	ack, err := r.sink.Publish(pctx, c.msg)
	switch {
	case err == nil && ack.Duplicate:
		c.res.Outcome = outcomeAlready
	case err == nil:
		c.res.Outcome = outcomePublished
	case errors.Is(err, sinks.ErrTooLarge):
		c.res.Outcome, c.res.Detail = outcomeTooLarge, err.Error()
	case errors.Is(err, sinks.ErrRefused):
		c.res.Outcome, c.res.Detail = outcomeRefused, err.Error()
	default:
		c.res.Outcome, c.res.Detail = outcomeFailed, err.Error()
	}
}

// traceOf is the sender's trace context the dead letter kept, carried on
// as the handler carries it from the request.
func traceOf(st sinks.Stored) []sinks.Header {
	tp := st.Header("traceparent")
	if tp == "" {
		return nil
	}
	hs := []sinks.Header{{Name: "traceparent", Value: tp}}
	if ts := st.Header("tracestate"); ts != "" {
		hs = append(hs, sinks.Header{Name: "tracestate", Value: ts})
	}
	return hs
}

// sortedKeys is m's keys in order, for stable output.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, cmp.Compare)
	return keys
}
