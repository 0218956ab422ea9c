package natsjs_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// Query.Match is shown only the messages the scan bound counts, though a
// window reads past it: a predicate's calls say nothing of messages the
// search then treats as unread. (The first window holds 1,000 sequences,
// far more than a scan of 10.)
func TestSearchMatchWithinScan(t *testing.T) {
	srv := natstest.Start(t)
	sink := open(t, config(srv.URL()))
	const n = 30
	for i := range n {
		if _, err := sink.Publish(ctxFor(t, 5*time.Second), searchEvent(i, nil)); err != nil {
			t.Fatal(err)
		}
	}
	all := ids(searchAll(t, sink, testPrefix+".>"))
	even := func(id string) bool { return strings.ContainsAny(id[len(id)-1:], "02468") }
	newestEven := slices.DeleteFunc(slices.Clone(all[:10]), func(id string) bool { return !even(id) })

	for _, c := range []struct {
		name      string
		limit     int
		want      []string
		truncated bool
	}{
		{"all within the scan", 0, newestEven, true},
		// Stopped at the limit: not truncated, whatever is left.
		{"a limit within the scan", 2, newestEven[:2], false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			var shown []string
			f, err := sink.Search(ctxFor(t, 10*time.Second), sinks.Query{
				Filter: testPrefix + ".>", Scan: 10, Limit: c.limit,
				Match: func(st sinks.Stored) bool {
					mu.Lock()
					shown = append(shown, st.ID)
					mu.Unlock()
					return even(st.ID)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(f.Messages); !slices.Equal(got, c.want) || f.Scanned != 10 || f.Truncated != c.truncated {
				t.Errorf("%v, scanned %d, truncated %v; want %v, 10, %v", got, f.Scanned, f.Truncated, c.want, c.truncated)
			}
			for _, id := range shown {
				if !slices.Contains(all[:10], id) {
					t.Errorf("Match was shown %s, which is not among the newest 10 the scan counts (shown %v)", id, shown)
				}
			}
		})
	}
}
