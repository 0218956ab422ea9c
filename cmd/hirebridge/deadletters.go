package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

const deadlettersUsage = `Usage:
  hirebridge deadletters list [-reason CODE] [-since WHEN] [-status open|resolved|all]
                              [-limit N] [-scan N] [-json]
                                  the dead letters, counted by reason, one line each
  hirebridge deadletters resolve ID [-note TEXT] [-json]
                                  mark a dead letter resolved: replay skips it

The console's dead letters, from a terminal: those on <prefix>.dlq, read
newest first, at most -scan messages (default 100000), and the resolved
marks kept on the broker. It reaches the broker as replay does, with the
service's HIREBRIDGE_* settings, whether the service runs or not. Each
takes -h for its usage; hirebridge events get ID shows a dead letter's
body, hirebridge replay publishes those that pass now.

Examples:
  hirebridge deadletters list -since 24h
  hirebridge deadletters list -reason schema_violation -status all
  hirebridge deadletters resolve dlq-1b2c3d4e5f60718293a4 -note "test data from staging"
`

// deadlettersCommand runs `hirebridge deadletters list|resolve`. Each
// subcommand's errors name it: `hirebridge deadletters resolve: ...`.
func deadlettersCommand(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	return runSubcommand(ctx, "deadletters", deadlettersUsage, []subcommand{{"list", deadlettersList}, {"resolve", deadlettersResolve}}, args, environ, stdout)
}

const deadlettersListAbout = `Print the dead letters (<prefix>.dlq), newest first: first how many there
are of each reason, then one line each: when stored, its id, its reason,
what was wrong (cut short; hirebridge events get ID prints it whole with
the body) and, when resolved, the mark. The counts are of every dead letter
of the -status among those searched; the lines, of those of the -reason.
The search reads at most -scan messages, newest first, and says on
standard error when it stopped there with older ones unread. -json prints
the console's answer (GET /api/v1/deadletters): one JSON object.
`

const deadlettersListExamples = `  hirebridge deadletters list
      the open dead letters: not marked resolved
  hirebridge deadletters list -reason unknown_event_type -since 24h
      the undocumented events rejected in the last day
  hirebridge deadletters list -status resolved -json
      the dead letters marked resolved, with their marks, as JSON
`

// deadlettersList is `hirebridge deadletters list`.
func deadlettersList(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("deadletters list", "[-reason CODE] [-since WHEN] [-status open|resolved|all] [-limit N] [-scan N] [-json]",
		deadlettersListAbout, deadlettersListExamples)
	reason := fs.reasonFlag()
	sinceFlag := fs.sinceFlag("dead letters")
	statusFlag := fs.String("status", string(browse.Open), "which: `STATUS` open (not marked resolved), resolved or all")
	limit := fs.Int("limit", sinks.DefaultLimit, "print at most `N` dead letters, the newest")
	scan := fs.Int("scan", sinks.DefaultScan, "read at most `N` messages, newest first")
	asJSON := fs.Bool("json", false, "print one JSON object, as the console's GET /api/v1/deadletters answers")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if err := fs.noArgs(); err != nil {
		return err
	}
	if err := fs.checkReason(*reason); err != nil {
		return err
	}
	since, err := fs.timeFlag("since", *sinceFlag, time.Now())
	if err != nil {
		return err
	}
	status, err := browse.ParseStatus(*statusFlag)
	if err != nil {
		return fs.usageErrorf("-status %q: one of open, resolved, all", *statusFlag)
	}
	if err := fs.boundsFlags(*limit, *scan); err != nil {
		return err
	}
	b, closeBroker, err := openSearch(ctx, environ)
	if err != nil {
		return err
	}
	defer closeBroker()

	list, err := browse.ListDeadLetters(ctx, b, b.resolutions, b.prefix, browse.DeadLetterQuery{
		Reason: *reason, Status: status, Since: since, Limit: *limit, Scan: *scan,
	})
	if err != nil {
		return fmt.Errorf("listing the dead letters %s: %w", b.where, err)
	}
	if *asJSON {
		err = writeJSON(stdout, list)
	} else {
		err = writeDeadLettersText(stdout, list, events.DeadLetterSubject(b.prefix), status, *reason)
	}
	if err != nil {
		return err
	}
	if list.More {
		fmt.Fprintf(os.Stderr, "printed the newest %d; older ones match too: -limit to print more\n", len(list.DeadLetters))
	}
	searchedWarning(os.Stderr, list.Scanned, list.Truncated)
	return nil
}

// detailWidth is how much of a dead letter's detail a line of deadletters
// list shows: enough to tell one fault from another.
const detailWidth = 80

// writeDeadLettersText prints the counts by reason, then a line per dead
// letter, in columns.
func writeDeadLettersText(w io.Writer, l browse.DeadLetterList, dlq string, status browse.Status, reason string) error {
	total := 0
	for _, rc := range l.Reasons {
		total += rc.Count
	}
	which := string(status) + " "
	if status == browse.All {
		which = ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d %sdead letters among the %d messages searched", dlq, total, which, l.Scanned)
	if total == 0 {
		b.WriteString("\n")
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString(", by reason:\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, rc := range l.Reasons {
		fmt.Fprintf(tw, "  %s\t%d\n", orDash(rc.Reason), rc.Count)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if reason != "" {
		fmt.Fprintf(&b, "\nthose with reason %s:\n", reason)
	} else if len(l.DeadLetters) > 0 {
		b.WriteString("\n")
	}
	if len(l.DeadLetters) > 0 {
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "STORED\tID\tREASON\tDETAIL")
		for _, dl := range l.DeadLetters {
			stored, _ := time.Parse(time.RFC3339Nano, dl.StoredAt)
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\n", storedTime(stored), dl.ID, orDash(dl.Reason),
				orDash(cut(shortDetail(dl), detailWidth)), markText(dl.Resolved))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// shortDetail is a dead letter's detail on one line, without the reason
// it starts with (a rejection's detail is the error the sender got, which
// names its code first): the line's room is for what is wrong.
func shortDetail(dl browse.DeadLetterItem) string {
	d := sinks.OneLine(dl.Detail)
	if rest, ok := strings.CutPrefix(d, dl.Reason+" "); ok && dl.Reason != "" {
		return rest
	}
	return d
}

// cut shortens s to n runes, saying it was cut.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// markText is a resolved mark at the end of a line; nothing for none.
func markText(m *sinks.Mark) string {
	if m == nil {
		return ""
	}
	return "  [resolved" + markWords(*m) + "]"
}

// markWords says when a mark was set, by whom, and its note.
func markWords(m sinks.Mark) string {
	s := " at " + storedTime(m.At)
	if m.By != "" {
		s += " by " + m.By
	}
	if m.Note != "" {
		s += ": " + cut(sinks.OneLine(m.Note), detailWidth)
	}
	return s
}

const deadlettersResolveAbout = `Mark the dead letter ID resolved: handled, to be left alone. replay skips
the dead letters marked resolved (hirebridge replay -include-resolved
does not); deadletters list and the console show them apart. The mark is
kept on the broker (a key-value bucket on NATS, a compacted topic on
Kafka), where every replica and restart sees it, and says when, by whom
(cli and the user running the command) and the -note. Marking a dead
letter again replaces its mark. The dead letter itself is not changed.
It exits 1 when no dead letter has the id.

ID   the dead letter's id (dlq-...), as deadletters list and the console show it
`

const deadlettersResolveExamples = `  hirebridge deadletters resolve dlq-1b2c3d4e5f60718293a4
  hirebridge deadletters resolve dlq-1b2c3d4e5f60718293a4 -note "sent again by hand, ticket OPS-12"
`

// deadlettersResolve is `hirebridge deadletters resolve ID`.
func deadlettersResolve(ctx context.Context, args, environ []string, stdout io.Writer) error {
	fs := newCommandFlags("deadletters resolve", "ID [-note TEXT] [-json]", deadlettersResolveAbout, deadlettersResolveExamples)
	note := fs.String("note", "", "why it is resolved, or what was done: free `TEXT`, kept with the mark")
	asJSON := fs.Bool("json", false, "print one JSON object, as the console's POST /api/v1/deadletters/{id}/resolve answers")
	id, err := fs.oneID(args, stdout)
	if err != nil {
		return err
	}
	b, closeBroker, err := openSearch(ctx, environ)
	if err != nil {
		return err
	}
	defer closeBroker()
	if b.resolutions == nil {
		return fmt.Errorf("the %s sink keeps no resolved marks", b.sink)
	}

	marks, err := browse.Marks(ctx, b.resolutions)
	if err != nil {
		return fmt.Errorf("resolving %s %s: %w", id, b.where, err)
	}
	prev, again := marks[id]
	res, err := browse.Resolve(ctx, b, b.resolutions, b.prefix, id, sinks.Mark{At: time.Now().UTC(), By: resolvedBy(environ), Note: *note})
	if err != nil {
		return b.lookupError("resolving "+id, err)
	}
	if *asJSON {
		return writeJSON(stdout, res)
	}
	if again {
		fmt.Fprintf(os.Stderr, "it was marked resolved already%s; that mark is replaced\n", markWords(prev))
	}
	_, err = fmt.Fprintf(stdout, "%s marked resolved%s; replay skips it\n", id, markWords(res.Resolved))
	return err
}

// resolvedBy is who a mark of the CLI is by: cli, and the user running
// it when known, as cli:alice.
func resolvedBy(environ []string) string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	for _, kv := range environ {
		if name, ok := strings.CutPrefix(kv, "USER="); ok && name != "" {
			return "cli:" + name
		}
	}
	return "cli"
}
