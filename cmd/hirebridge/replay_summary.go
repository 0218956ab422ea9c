package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

// deadLetterResult is what replay did with one dead letter.
type deadLetterResult struct {
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
}

// replaySummary counts the outcomes, overall and by the dead letters'
// reasons. Its JSON form is for scripts; the text form for people.
type replaySummary struct {
	Topic  string     `json:"dead_letter_topic"`
	DryRun bool       `json:"dry_run"`
	Since  *time.Time `json:"since,omitempty"`
	Reason string     `json:"reason,omitempty"`
	// Read is how many dead letters were read (those since -since);
	// Matched how many of them had the -reason.
	Read     int                       `json:"read"`
	Matched  int                       `json:"matched"`
	Outcomes map[string]int            `json:"outcomes"`
	Reasons  map[string]map[string]int `json:"reasons"`
	// StillRejected counts the rejected by the reason they get now,
	// which a fix may have changed.
	StillRejected map[string]int     `json:"still_rejected_as"`
	DeadLetters   []deadLetterResult `json:"dead_letters"`
}

func newSummary(r *replayer) *replaySummary {
	s := &replaySummary{
		Topic:         sinks.DeadLetterTopic(r.cfg.Bridge.Prefix),
		DryRun:        r.dryRun,
		Reason:        r.reason,
		Outcomes:      map[string]int{},
		Reasons:       map[string]map[string]int{},
		StillRejected: map[string]int{},
		DeadLetters:   []deadLetterResult{},
	}
	if !r.since.IsZero() {
		since := r.since.UTC()
		s.Since = &since
	}
	return s
}

func (s *replaySummary) add(res *deadLetterResult) {
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
	s.DeadLetters = append(s.DeadLetters, *res)
}

func (s *replaySummary) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// writeText prints a table: a row per dead-letter reason, a column per
// outcome that occurred.
func (s *replaySummary) writeText(w io.Writer) error {
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
		var cols []string
		for _, o := range outcomeOrder {
			if s.Outcomes[o] > 0 {
				cols = append(cols, o)
			}
		}
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		row := func(cells ...string) { fmt.Fprintln(tw, strings.Join(cells, "\t")) }
		row(append([]string{"reason", "dead letters"}, cols...)...)
		for _, reason := range sortedKeys(s.Reasons) {
			cells := []string{reason, strconv.Itoa(total(s.Reasons[reason]))}
			for _, o := range cols {
				cells = append(cells, strconv.Itoa(s.Reasons[reason][o]))
			}
			row(cells...)
		}
		cells := []string{"total", strconv.Itoa(s.Matched)}
		for _, o := range cols {
			cells = append(cells, strconv.Itoa(s.Outcomes[o]))
		}
		row(cells...)
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(s.StillRejected) > 0 {
		b.WriteString("\nstill rejected, now as:")
		for _, reason := range sortedKeys(s.StillRejected) {
			fmt.Fprintf(&b, " %s %d", reason, s.StillRejected[reason])
		}
		b.WriteString(" (details: -json)\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
