package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/sinks"
)

const eventsUsage = `Usage:
  hirebridge events list [-type TYPE] [-subject SUBJECT] [-id ID] [-since WHEN]
                         [-until WHEN] [-limit N] [-scan N] [-json]
                                  the newest events, one line each, no bodies
  hirebridge events get ID [-scan N] [-json]
                                  one event or dead letter: headers and body

The console's search, from a terminal: what the broker (NATS stream or
Kafka topics) holds, read newest first, at most -scan messages (default
100000). It reaches the broker as replay does, with the service's
HIREBRIDGE_* settings, whether the service runs or not. Each takes -h for
its usage.

Examples:
  hirebridge events list -type applicant_applied -since 1h
  hirebridge events list -subject cand_123 -json
  hirebridge events get 5f0c3d2e9a7b4c1d8e6f
`

// eventsCommand runs `hirebridge events list|get`. Each subcommand's
// errors name it: `hirebridge events get: ...`.
func eventsCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	return runSubcommand(ctx, "events", eventsUsage, []subcommand{{"list", eventsList}, {"get", eventsGet}}, args, environ, stdout)
}

const eventsListAbout = `Print the newest events the broker holds, newest first, one line each:
when stored, type, id, subject (the entity key) and the source that sent
it; no bodies (hirebridge events get ID shows one). Dead letters are left
out (hirebridge deadletters list). The search reads at most -scan
messages, newest first, and says on standard error when it stopped there
with older ones unread. -json prints the console's answer
(GET /api/v1/events): one JSON object.
`

const eventsListExamples = `  hirebridge events list
      the newest 50 events
  hirebridge events list -type applicant_applied -since 1h
      the applications of the last hour
  hirebridge events list -subject cand_123 -limit 500
      what happened to one candidate
  hirebridge events list -since 2026-12-06T10:00:00Z -until 2026-12-06T11:00:00Z -json
      an hour's events, as JSON
`

// eventsList is `hirebridge events list`.
func eventsList(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("events list", "[-type TYPE] [-subject SUBJECT] [-id ID] [-since WHEN] [-until WHEN] [-limit N] [-scan N] [-json]",
		eventsListAbout, eventsListExamples)
	typ := fs.String("type", "", "only events of this `TYPE`: applicant_applied, or the CloudEvents type\ncom.hirempire.applicant_applied")
	subject := fs.String("subject", "", "only events about this entity: their CloudEvents `SUBJECT` (a candidate's,\njob's... id)")
	id := fs.String("id", "", "only the event with this CloudEvents `ID`")
	sinceFlag := fs.sinceFlag("events")
	untilFlag := fs.String("until", "", "only events stored before `WHEN`, as -since")
	limit := fs.Int("limit", sinks.DefaultLimit, "print at most `N` events, the newest")
	scan := fs.Int("scan", sinks.DefaultScan, "read at most `N` messages, newest first")
	asJSON := fs.Bool("json", false, "print one JSON object, as the console's GET /api/v1/events answers")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	now := time.Now()
	since, err := fs.timeFlag("since", *sinceFlag, now)
	if err != nil {
		return err
	}
	until, err := fs.timeFlag("until", *untilFlag, now)
	if err != nil {
		return err
	}
	if err := fs.boundsFlags(*limit, *scan); err != nil {
		return err
	}
	b, closeBroker, err := openSearch(ctx, environ)
	if err != nil {
		return err
	}
	defer closeBroker()

	list, err := browse.ListEvents(ctx, b, b.prefix, sinks.Query{
		ID: *id, Type: *typ, Subject: *subject, Since: since, Until: until, Limit: *limit, Scan: *scan,
	})
	if err != nil {
		return fmt.Errorf("searching the events %s: %w", b.where, err)
	}
	if *asJSON {
		err = writeJSON(stdout, list)
	} else {
		err = writeEventsText(stdout, list)
	}
	if err != nil {
		return err
	}
	switch n := len(list.Events); {
	case n == 0:
		fmt.Fprintf(os.Stderr, "no events match among the %d messages searched %s\n", list.Scanned, b.where)
	case list.More:
		fmt.Fprintf(os.Stderr, "printed the newest %d; older ones may match: -limit, or -until %s, for more\n", n, list.Events[n-1].StoredAt)
	}
	searchedWarning(os.Stderr, list.Scanned, list.Truncated)
	return nil
}

// writeEventsText prints a line per event, in columns.
func writeEventsText(w io.Writer, l browse.EventList) error {
	if len(l.Events) == 0 {
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STORED\tTYPE\tID\tSUBJECT\tSOURCE")
	for _, e := range l.Events {
		stored, _ := time.Parse(time.RFC3339Nano, e.StoredAt)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", storedTime(stored), orDash(e.Type), orDash(e.ID),
			orDash(sinks.OneLine(e.Subject)), orDash(e.HirebridgeSource))
	}
	return tw.Flush()
}

const eventsGetAbout = `Print one event or dead letter, found by its id among the newest -scan
messages: where and when it is stored, its headers, then its body as
stored. Bodies are personal data: print them where they may be read.
It exits 1 when no message has the id.

ID   the event's CloudEvents id (ce-id), or a dead letter's id (dlq-...),
     as events list, deadletters list and the console show them
`

const eventsGetExamples = `  hirebridge events get 5f0c3d2e9a7b4c1d8e6f
  hirebridge events get dlq-1b2c3d4e5f60718293a4 -json
`

// eventsGet is `hirebridge events get ID`.
func eventsGet(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("events get", "ID [-scan N] [-json]", eventsGetAbout, eventsGetExamples)
	scan := fs.Int("scan", sinks.DefaultScan, "read at most `N` messages, newest first")
	asJSON := fs.Bool("json", false, "print one JSON object, as the console's GET /api/v1/events/{id} answers")
	id, err := fs.oneID(args, stdout)
	if err != nil {
		return err
	}
	if err := fs.boundsFlags(0, *scan); err != nil {
		return err
	}
	b, closeBroker, err := openSearch(ctx, environ)
	if err != nil {
		return err
	}
	defer closeBroker()

	one, st, err := browse.Get(ctx, b, b.resolutions, b.prefix, id, *scan)
	if err != nil {
		return b.lookupError("looking for "+id, err)
	}
	if *asJSON {
		return writeJSON(stdout, one)
	}
	return writeEventText(stdout, one, st.Body)
}

// writeEventText prints where and when the message is stored, its headers
// one a line, a blank line, and body as stored.
func writeEventText(w io.Writer, o browse.Event, body []byte) error {
	var b strings.Builder
	what := "event"
	if o.DeadLetter {
		what = "dead letter"
	}
	stored, _ := time.Parse(time.RFC3339Nano, o.StoredAt)
	fmt.Fprintf(&b, "%s %s on %s, stored %s\n", what, o.ID, o.Topic, storedTime(stored))
	if o.Resolved != nil {
		fmt.Fprintf(&b, "marked resolved%s\n", markWords(*o.Resolved))
	}
	for _, name := range slices.Sorted(maps.Keys(o.Headers)) {
		fmt.Fprintf(&b, "%s: %s\n", name, sinks.OneLine(o.Headers[name]))
	}
	b.WriteString("\n")
	b.Write(body)
	if len(body) > 0 && body[len(body)-1] != '\n' {
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
