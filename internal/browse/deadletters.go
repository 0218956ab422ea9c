package browse

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// Status chooses dead letters by their resolved mark.
type Status string

const (
	// Open are those not marked resolved, the default.
	Open     Status = "open"
	Resolved Status = "resolved"
	All      Status = "all"
)

// ParseStatus reads a status; empty is Open.
func ParseStatus(s string) (Status, error) {
	switch st := Status(s); st {
	case "":
		return Open, nil
	case Open, Resolved, All:
		return st, nil
	}
	return "", fmt.Errorf("%q is not open, resolved or all", s)
}

func (s Status) admits(resolved bool) bool {
	return s == All || (s == Resolved) == resolved
}

// DeadLetterItem is a dead letter in a list: why it is one, and its mark.
type DeadLetterItem struct {
	ID               string `json:"id"`
	Reason           string `json:"reason"`
	Detail           string `json:"detail"`
	Topic            string `json:"topic"`
	StoredAt         string `json:"stored_at"`
	HirebridgeSource string `json:"hirebridge_source"`
	// Resolved is the mark, null while open.
	Resolved *sinks.Mark `json:"resolved"`
}

// ReasonCount is how many dead letters have a reason.
type ReasonCount struct {
	Reason string `json:"reason"`
	Count  int    `json:"count"`
}

// DeadLetterList is the answer of GET /api/v1/deadletters and of
// deadletters list -json.
type DeadLetterList struct {
	DeadLetters []DeadLetterItem `json:"deadletters"`
	// Reasons count the dead letters of the status asked for among those
	// scanned, by reason, whatever reason and limit were asked for; the
	// most frequent first.
	Reasons   []ReasonCount `json:"reasons"`
	Scanned   int           `json:"scanned"`
	ScanLimit int           `json:"scan_limit"`
	Truncated bool          `json:"truncated"`
	// More is true when more dead letters matched than the list holds.
	More bool `json:"more"`
}

// DeadLetterQuery chooses dead letters.
type DeadLetterQuery struct {
	// Reason keeps those with this hirebridge-reason; empty keeps all.
	Reason string
	// Status keeps the open, resolved or all; empty is Open.
	Status Status
	// Since and Until bound the broker's time, as in sinks.Query.
	Since, Until time.Time
	// Limit is how many to list, newest first (0: sinks.DefaultLimit);
	// Scan how many messages to read at most (0: sinks.DefaultScan).
	Limit, Scan int
}

// ListDeadLetters lists the dead letters of prefix that q chooses, newest
// first, with their marks from r (nil: a broker that keeps none), and
// counts those of q's status by reason.
//
// Every dead letter of the status within the scan is counted, whatever
// Reason and Limit keep: so the search answers all of them (a limit one
// more than it may read, so that it never stops for the limit, and says
// when the scan bound cut it short), and Reason and Limit are applied to
// its answer. Counting in Query.Match instead would count what a search
// reads beyond its answer.
func ListDeadLetters(ctx context.Context, b sinks.Browser, r sinks.Resolutions, prefix string, q DeadLetterQuery) (DeadLetterList, error) {
	marks, err := Marks(ctx, r)
	if err != nil {
		return DeadLetterList{}, err
	}
	status := cmp.Or(q.Status, Open)
	limit, scan := cmp.Or(q.Limit, sinks.DefaultLimit), ScanLimit(q.Scan)
	found, err := b.Search(ctx, sinks.Query{
		Filter: events.DeadLetterSubject(prefix),
		Since:  q.Since,
		Until:  q.Until,
		Limit:  scan + 1,
		Scan:   scan,
		// A lookup in a map only read meanwhile: safe however the
		// search calls it.
		Match: func(st sinks.Stored) bool {
			_, resolved := marks[st.ID]
			return status.admits(resolved)
		},
	})
	if err != nil {
		return DeadLetterList{}, err
	}
	l := DeadLetterList{DeadLetters: []DeadLetterItem{}, Reasons: []ReasonCount{}, Scanned: found.Scanned, ScanLimit: scan,
		Truncated: found.Truncated}
	counts := map[string]int{}
	for _, st := range found.Messages {
		reason := st.Header(events.HeaderReason)
		counts[reason]++
		if q.Reason != "" && reason != q.Reason {
			continue
		}
		if len(l.DeadLetters) == limit {
			l.More = true
			continue
		}
		l.DeadLetters = append(l.DeadLetters, deadLetterItemOf(st, marks))
	}
	for reason, n := range counts {
		l.Reasons = append(l.Reasons, ReasonCount{Reason: reason, Count: n})
	}
	// The most frequent first: what to look at first.
	slices.SortFunc(l.Reasons, func(a, b ReasonCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.Reason, b.Reason))
	})
	return l, nil
}

func deadLetterItemOf(st sinks.Stored, marks map[string]sinks.Mark) DeadLetterItem {
	it := DeadLetterItem{
		ID:               st.ID,
		Reason:           st.Header(events.HeaderReason),
		Detail:           st.Header(events.HeaderDetail),
		Topic:            st.Topic,
		StoredAt:         StoredAt(st.Time),
		HirebridgeSource: st.Header(events.HeaderSource),
	}
	if m, ok := marks[st.ID]; ok {
		it.Resolved = &m
	}
	return it
}
