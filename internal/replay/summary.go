package replay

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// Result is what replay did with one dead letter.
type Result struct {
	// ID is the dead letter's own id: its body's content id, as the
	// bridge set it (Nats-Msg-Id on NATS).
	ID     string    `json:"id"`
	Stored time.Time `json:"stored"`
	// Reason is the dead letter's hirebridge-reason.
	Reason  string `json:"reason"`
	Outcome string `json:"outcome"`
	// Event and EventID name the event it became, or would become.
	Event   string `json:"event,omitempty"`
	EventID string `json:"event_id,omitempty"`
	// RejectedAs is why it is still rejected, as a reason code.
	RejectedAs string `json:"rejected_as,omitempty"`
	// Detail says why it was left: the rejection, or the broker's error.
	Detail string `json:"detail,omitempty"`
	// Resolved is the mark of a dead letter skipped as resolved.
	Resolved *sinks.Mark `json:"resolved,omitempty"`
}

// Summary counts the outcomes of a run, overall and by the dead letters'
// reasons. Its JSON form is for scripts; the text form for people.
type Summary struct {
	Topic  string     `json:"dead_letter_topic"`
	DryRun bool       `json:"dry_run"`
	Since  *time.Time `json:"since,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// IncludeResolved says the dead letters marked resolved were replayed
	// too, rather than skipped.
	IncludeResolved bool `json:"include_resolved"`
	// Read is how many dead letters were read (those since Since);
	// Matched how many of them had the Reason.
	Read     int                       `json:"read"`
	Matched  int                       `json:"matched"`
	Outcomes map[string]int            `json:"outcomes"`
	Reasons  map[string]map[string]int `json:"reasons"`
	// StillRejected counts the rejected by the reason they get now,
	// which a fix may have changed.
	StillRejected map[string]int `json:"still_rejected_as"`
	DeadLetters   []Result       `json:"dead_letters"`
}

func newSummary(topic string, f Filter, dryRun bool) *Summary {
	s := &Summary{
		Topic:           topic,
		DryRun:          dryRun,
		Reason:          f.Reason,
		IncludeResolved: f.IncludeResolved,
		Outcomes:        map[string]int{},
		Reasons:         map[string]map[string]int{},
		StillRejected:   map[string]int{},
		DeadLetters:     []Result{},
	}
	if !f.Since.IsZero() {
		since := f.Since.UTC()
		s.Since = &since
	}
	return s
}

func (s *Summary) add(res Result) {
	s.Matched++
	s.Outcomes[res.Outcome]++
	reason := res.Reason
	if reason == "" {
		reason = "(none)"
	}
	if s.Reasons[reason] == nil {
		s.Reasons[reason] = map[string]int{}
	}
	s.Reasons[reason][res.Outcome]++
	if res.RejectedAs != "" {
		s.StillRejected[res.RejectedAs]++
	}
	s.DeadLetters = append(s.DeadLetters, res)
}

// Unpublished counts the dead letters a broker fault kept from being
// published: another run may publish them.
func (s *Summary) Unpublished() int { return s.Outcomes[Failed] + s.Outcomes[NotTried] }

// WriteJSON writes the summary as one indented JSON object.
func (s *Summary) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// WriteText prints a table: a row per dead-letter reason, a column per
// outcome that occurred.
func (s *Summary) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d dead letters read", s.Topic, s.Read)
	if s.Since != nil {
		fmt.Fprintf(&b, " (stored since %s)", s.Since.Format(time.RFC3339))
	}
	if s.Reason != "" {
		fmt.Fprintf(&b, ", %d with reason %s", s.Matched, s.Reason)
	}
	b.WriteString("\n")
	if s.DryRun {
		b.WriteString("dry run: nothing was published\n")
	}
	if s.Matched > 0 {
		b.WriteString("\n")
		if err := s.writeTable(&b); err != nil {
			return err
		}
	}
	if n := s.Outcomes[Resolved]; n > 0 {
		fmt.Fprintf(&b, "\n%d marked resolved, skipped (-include-resolved replays them too)\n", n)
	}
	if len(s.StillRejected) > 0 {
		b.WriteString("\nstill rejected, now as:")
		for _, reason := range slices.Sorted(maps.Keys(s.StillRejected)) {
			fmt.Fprintf(&b, " %s %d", reason, s.StillRejected[reason])
		}
		b.WriteString(" (details: -json)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (s *Summary) writeTable(w io.Writer) error {
	var cols []string
	for _, o := range outcomeOrder {
		if s.Outcomes[o] > 0 {
			cols = append(cols, o)
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
	row(append([]string{"reason", "dead letters"}, cols...)...)
	for _, reason := range slices.Sorted(maps.Keys(s.Reasons)) {
		counts := s.Reasons[reason]
		cells := []string{reason, strconv.Itoa(sum(counts))}
		for _, o := range cols {
			cells = append(cells, strconv.Itoa(counts[o]))
		}
		row(cells...)
	}
	cells := []string{"total", strconv.Itoa(s.Matched)}
	for _, o := range cols {
		cells = append(cells, strconv.Itoa(s.Outcomes[o]))
	}
	row(cells...)
	return tw.Flush()
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
