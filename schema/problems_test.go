package schema

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// A sender fixing one problem at a time would need as many tries as its
// body has problems: a rejection lists them all, up to MaxProblems.

const badTimestampDetail = "the timestamp is not an RFC 3339 date-time or a Unix time in seconds or milliseconds"

func TestTimestampAndSchemaProblemsTogether(t *testing.T) {
	t.Parallel()
	body := `{"event":"job_added","timestamp":"yesterday","job":{"id":42}}`
	_, rej := normalize([]byte(body), Options{})
	want := &Rejection{
		Reason: ReasonBadTimestamp, Field: "/timestamp", Detail: badTimestampDetail, Event: "job_added",
		Problems: []Problem{
			{ReasonBadTimestamp, "/timestamp", badTimestampDetail},
			{ReasonSchema, "/company", "job_added requires /company"},
			{ReasonSchema, "/job/id", "job_added: /job/id got number, want string"},
		},
	}
	if !reflect.DeepEqual(rej, want) {
		t.Fatalf("rejection\n %+v\nwant\n %+v", rej, want)
	}
	wantText := "invalid_timestamp at /timestamp: " + badTimestampDetail +
		"; job_added requires /company; job_added: /job/id got number, want string"
	if got := rej.Error(); got != wantText {
		t.Errorf("Error() = %q\nwant %q", got, wantText)
	}
}

// The problems come in the order of the checks, the one that decides the
// answer first: the timestamp, meeting.scheduled_at, then the schema's
// failures in pointer order.
func TestProblemsInOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		body   string
		opts   Options
		fields []string
	}{
		{
			"both timestamps and the schema",
			`{"event":"meeting_booked","timestamp":true,"meeting":{"scheduled_at":"next week","duration_minutes":"30"},"applicant":{"id":""}}`,
			Options{},
			[]string{"/timestamp", "/meeting/scheduled_at", "/applicant/id", "/company", "/meeting/duration_minutes", "/meeting/id"},
		},
		{
			"scheduled_at alone with the schema",
			`{"event":"meeting_booked","timestamp":0,"company":{"id":"c"},"meeting":{"id":1,"scheduled_at":{}}}`,
			Options{},
			[]string{"/meeting/scheduled_at", "/meeting/id"},
		},
		{
			"the schema alone, every missing member",
			`{"event":"applicant_applied","timestamp":0}`,
			Options{},
			[]string{"/applicant", "/company", "/job"},
		},
		{
			"a timestamp and an undocumented type in strict mode",
			`{"event":"job_promoted","timestamp":"soon"}`,
			Options{Strict: true},
			[]string{"/timestamp", "/event"},
		},
		{
			"a timestamp in an undocumented type",
			`{"event":"job_promoted","timestamp":"soon","meeting":{"scheduled_at":"later"}}`,
			Options{},
			[]string{"/timestamp", "/meeting/scheduled_at"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, rej := normalize([]byte(tt.body), tt.opts)
			if rej == nil {
				t.Fatal("accepted")
			}
			var fields []string
			for _, p := range rej.Problems {
				fields = append(fields, p.Field)
				if !strings.Contains(rej.Error(), p.Detail) {
					t.Errorf("Error() %q leaves out %q", rej.Error(), p.Detail)
				}
			}
			if !reflect.DeepEqual(fields, tt.fields) || rej.More != 0 {
				t.Errorf("problems at %q and %d more; want at %q", fields, rej.More, tt.fields)
			}
			if first := rej.Problems[0]; rej.Reason != first.Reason || rej.Field != first.Field || rej.Detail != first.Detail {
				t.Errorf("rejection %s at %s, its first problem %+v", rej.Reason, rej.Field, first)
			}
		})
	}
}

// A timestamp that could not be normalized fails the schema's type too, or
// its required: that is the same problem, said once.
func TestTimestampProblemSaidOnce(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"event":"job_added","company":{"id":"c"},"job":{"id":"j"}}`:                                           "invalid_timestamp at /timestamp: the timestamp member is missing",
		`{"event":"job_added","timestamp":1e-999999,"company":{"id":"c"},"job":{"id":"j"}}`:                     "invalid_timestamp at /timestamp: the timestamp is a number too long, or with too large an exponent, to be a Unix time",
		`{"event":"job_added","timestamp":{"at":5},"company":{"id":"c"},"job":{"id":"j"}}`:                      "invalid_timestamp at /timestamp: " + badTimestampDetail,
		`{"event":"meeting_booked","timestamp":0,"company":{"id":"c"},"meeting":{"id":"m","scheduled_at":[1]}}`: "invalid_timestamp at /meeting/scheduled_at: meeting.scheduled_at is not an RFC 3339 date-time or a Unix time in seconds or milliseconds",
	} {
		_, rej := normalize([]byte(body), Options{})
		if rej == nil || len(rej.Problems) != 1 || rej.More != 0 || rej.Error() != want {
			t.Errorf("%s: %+v; want the one problem %q", body, rej, want)
		}
	}
}

// Where nothing more can be said, there is one problem: a body that is not
// an I-JSON object, an event name that is missing, not valid or reserved.
func TestProblemsThatStopThere(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		`[1]`,
		`{"event":"job_added","timestamp":"never",`,
		`{"event":"job_added","timestamp":"never","job":{"id":1,"id":2}}`,
		`{"timestamp":"never","job":5}`,
		`{"event":7,"timestamp":"never","job":5}`,
		`{"event":"job added","timestamp":"never","job":5}`,
		`{"event":"dlq.job_added","timestamp":"never","job":5}`,
	} {
		_, rej := Decode([]byte(body))
		if rej == nil {
			_, rej = normalize([]byte(body), Options{Strict: true})
		}
		if rej == nil || len(rej.Problems) != 1 || rej.More != 0 || strings.Contains(rej.Error(), "; ") {
			t.Errorf("%s: %+v; want its one problem", body, rej)
		}
	}
}

// Past MaxProblems, problems are counted, not listed: the smallest
// pointers are kept, and the count of the rest is exact.
func TestProblemsBounded(t *testing.T) {
	t.Parallel()
	for _, n := range []int{MaxProblems - 1, MaxProblems, MaxProblems + 1, 25, 1000} {
		for _, badTimestamp := range []bool{false, true} {
			t.Run(fmt.Sprintf("%d elements, bad timestamp %v", n, badTimestamp), func(t *testing.T) {
				t.Parallel()
				body := everyElementFails(n)
				var want []string
				if badTimestamp {
					body = []byte(strings.Replace(string(body), `"2026-01-30T02:05:17.892Z"`, `"never"`, 1))
					want = append(want, "/timestamp")
				}
				_, rej := normalize(body, Options{})
				if rej == nil {
					t.Fatal("accepted")
				}
				found := len(want) + n
				listed := min(found, MaxProblems)
				if len(rej.Problems) != listed || rej.More != found-listed {
					t.Fatalf("%d problems listed and %d more; want %d and %d", len(rej.Problems), rej.More, listed, found-listed)
				}
				// Pointers compare as strings: /job/sources/10 comes
				// before /job/sources/2.
				elements := make([]string, n)
				for i := range elements {
					elements[i] = "/job/sources/" + strconv.Itoa(i)
				}
				slices.Sort(elements)
				schemaListed := listed - len(want)
				want = append(want, elements[:schemaListed]...)
				var got []string
				for _, p := range rej.Problems {
					got = append(got, p.Field)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("problems at %q; want %q", got, want)
				}
				text := rej.Error()
				if worded := strings.Count(text, "got number, want null or string"); worded != schemaListed {
					t.Errorf("Error() words %d schema failures; want the %d listed", worded, schemaListed)
				}
				switch more := found - listed; more {
				case 0:
					if strings.Contains(text, "more problem") {
						t.Errorf("Error() %q counts more problems, with none left out", text)
					}
				case 1:
					if !strings.HasSuffix(text, "; and 1 more problem") {
						t.Errorf("Error() %q; want it to end with the one more problem", text)
					}
				default:
					if !strings.HasSuffix(text, fmt.Sprintf("; and %d more problems", more)) {
						t.Errorf("Error() %q; want it to end with the %d more problems", text, more)
					}
				}
			})
		}
	}
}

// normalizedTree is body decoded and normalized, its members sorted, as
// validate finds it.
func normalizedTree(t *testing.T, body []byte) *tree {
	t.Helper()
	tr := new(tree)
	if rej, err := decode(tr, body, nil); rej != nil || err != nil {
		t.Fatalf("decoding %.80s: %v %v", body, rej, err)
	}
	tr.normalize(Options{})
	return tr
}

// A valid body costs validate no allocation. Not parallel: allocations are
// counted process-wide.
func TestValidateValidBodyAllocatesNothing(t *testing.T) {
	for _, ex := range examples(t) {
		tr := normalizedTree(t, ex.body)
		rules := catalog[ex.name]
		allocs := testing.AllocsPerRun(100, func() {
			if rej := tr.validate(ex.name, rules, nil); rej != nil {
				t.Fatalf("%s: %v", ex.name, rej)
			}
		})
		if allocs != 0 {
			t.Errorf("%s: %.1f allocations to validate; want none", ex.name, allocs)
		}
	}
}

// A body failing at each of 100,000 elements costs what MaxProblems
// failures cost, not an allocation per element. Not parallel: allocations
// are counted process-wide.
func TestValidateFailuresAllocateWithinTheBound(t *testing.T) {
	cost := func(elements int) float64 {
		tr := normalizedTree(t, everyElementFails(elements))
		rules := catalog["job_added"]
		return testing.AllocsPerRun(10, func() {
			if rej := tr.validate("job_added", rules, nil); rej == nil || rej.More != max(elements-MaxProblems, 0) {
				t.Fatalf("%d failing elements: %+v", elements, rej)
			}
		})
	}
	bounded, many := cost(MaxProblems), cost(100_000)
	// Pointers kept later may be longer than the first ones and outgrow
	// their buffers: a few allocations more (and a few more again with the
	// race detector, whose runtime allocates too), never one per element.
	if slack := float64(2 * MaxProblems); many > bounded+slack {
		t.Errorf("%.0f allocations for 100,000 failing elements, %.0f for %d: want no more than %.0f apart", many, bounded, MaxProblems, slack)
	}
	t.Logf("%.0f allocations for %d failing elements, %.0f for 100,000", bounded, MaxProblems, many)
}
