package replay

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// resolvingBroker keeps resolved marks, as the NATS and Kafka sinks do.
type resolvingBroker struct {
	*broker
	marks map[string]sinks.Mark
	err   error
	// reads counts the reads of the marks.
	reads int
}

func (b *resolvingBroker) Resolve(ctx context.Context, id string, m sinks.Mark) error {
	b.marks[id] = m
	return nil
}

func (b *resolvingBroker) Resolved(ctx context.Context) (map[string]sinks.Mark, error) {
	b.reads++
	return b.marks, b.err
}

// resolving stores n dead letters, as interleaved does, with those at
// resolved marked resolved.
func resolving(n int, resolved ...int) *resolvingBroker {
	b := &resolvingBroker{broker: interleaved(n), marks: map[string]sinks.Mark{}}
	for _, i := range resolved {
		b.marks[events.DeadLetterID(deadLetter(i).Body)] = sinks.Mark{At: t0.Add(time.Hour), By: "cli:ops", Note: "sender fixed it"}
	}
	return b
}

func resolvingReplayer(b *resolvingBroker) *Replayer {
	r := New(b, bridge0())
	r.holdBytes = 0
	return r
}

// A run skips the dead letters marked resolved, says so for each with its
// mark, reads the marks once, and publishes the rest in the order stored.
func TestRunSkipsResolved(t *testing.T) {
	b := resolving(5, 1, 2)
	sum, err := resolvingReplayer(b).Run(t.Context(), Filter{}, false)
	if err != nil {
		t.Fatal(err)
	}
	if b.reads != 1 {
		t.Errorf("the marks were read %d times, want once", b.reads)
	}
	if sum.Outcomes[Published] != 3 || sum.Outcomes[Resolved] != 2 || len(b.published) != 3 {
		t.Fatalf("outcomes %v, published %v", sum.Outcomes, b.published)
	}
	var published []string
	for i, dl := range sum.DeadLetters {
		want := Published
		if i == 1 || i == 2 {
			want = Resolved
		}
		if dl.Outcome != want || dl.ID != events.DeadLetterID(deadLetter(i).Body) {
			t.Errorf("dead letter %d: %+v, want %s", i, dl, want)
		}
		if want == Resolved && (dl.Detail != "skipped: marked resolved" || dl.Resolved == nil || dl.Resolved.By != "cli:ops" || dl.EventID != "") {
			t.Errorf("dead letter %d, skipped: %+v, want its mark and no look at its body", i, dl)
		}
		if dl.Outcome == Published {
			published = append(published, dl.EventID)
		}
	}
	if !slices.Equal(b.published, published) {
		t.Errorf("published %v, want %v in the order stored", b.published, published)
	}
	if sum.IncludeResolved || sum.Reasons["unknown_event_type"][Resolved] != 2 {
		t.Errorf("summary %+v", sum)
	}

	var text strings.Builder
	if err := sum.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resolved", "2 marked resolved, skipped (-include-resolved replays them too)"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, text.String())
		}
	}
}

// With IncludeResolved the marks are not read, and the resolved are
// replayed as any other.
func TestRunIncludeResolved(t *testing.T) {
	b := resolving(4, 0, 3)
	sum, err := resolvingReplayer(b).Run(t.Context(), Filter{IncludeResolved: true}, false)
	if err != nil {
		t.Fatal(err)
	}
	if b.reads != 0 || sum.Outcomes[Published] != 4 || sum.Outcomes[Resolved] != 0 || !sum.IncludeResolved {
		t.Errorf("%d reads of the marks, outcomes %v", b.reads, sum.Outcomes)
	}
	wantStoredOrder(t, b.broker, sum, 4)
}

// Marks that cannot be read stop the run before anything is published:
// replaying without them would publish what an operator chose to leave.
func TestRunResolvedUnreadable(t *testing.T) {
	b := resolving(2, 1)
	b.err = errors.New("bucket unreachable")
	_, err := resolvingReplayer(b).Run(t.Context(), Filter{}, false)
	if err == nil || !strings.Contains(err.Error(), "resolved marks") || !strings.Contains(err.Error(), "bucket unreachable") {
		t.Errorf("Run: %v, want the marks' error", err)
	}
	if len(b.published) != 0 || b.broker.reads != 0 {
		t.Errorf("published %v after %d reads of the dead letters", b.published, b.broker.reads)
	}
}

// The console chooses itself: One replays a dead letter marked resolved.
func TestOneIgnoresResolved(t *testing.T) {
	b := resolving(1, 0)
	res, err := resolvingReplayer(b).One(t.Context(), deadLetter(0), false)
	if err != nil || res.Outcome != Published || b.reads != 0 {
		t.Errorf("One on a resolved dead letter: %+v, %v, %d reads of the marks", res, err, b.reads)
	}
}

// A dead letter's id is the one the bridge set: an undeliverable event's
// is UndeliverableID of the event's id, which a mark is kept under.
func TestDeadLetterID(t *testing.T) {
	rejected := deadLetter(0)
	undeliverable := sinks.Stored{
		Body: []byte(`{"event":"job_added"}`),
		Headers: []sinks.Header{
			{Name: events.HeaderReason, Value: events.ReasonUndeliverable},
			{Name: events.HeaderOriginalID, Value: "ev-123"},
		},
	}
	given := deadLetter(1)
	given.ID = "dlq-given"
	for st, want := range map[*sinks.Stored]string{
		&rejected:      events.DeadLetterID(rejected.Body),
		&undeliverable: events.UndeliverableID("ev-123"),
		&given:         "dlq-given",
	} {
		if got := browse.DeadLetterID(*st); got != want {
			t.Errorf("DeadLetterID = %s, want %s", got, want)
		}
	}
}

func bridge0() bridge.Config {
	return bridge.Config{Prefix: "hirempire", Source: "https://app.hirempire.com", PublishTimeout: time.Second}
}
