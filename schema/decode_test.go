package schema

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestDecodeRejectsWhatIsNotOneObject(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want Reason
	}{
		{"", ReasonNotJSON},
		{"   \n\t", ReasonNotJSON},
		{"not json", ReasonNotJSON},
		{"{", ReasonNotJSON},
		{`{"event":"job_added",}`, ReasonNotJSON},
		{`{'event':'job_added'}`, ReasonNotJSON},
		{`{"event":"job_added"} {"event":"job_added"}`, ReasonNotJSON},
		{`{"event":"job_added"}}`, ReasonNotJSON},
		{`{"event":"job_added"} trailing`, ReasonNotJSON},
		{`{"event":"job_added"}[]`, ReasonNotJSON},
		{"\xef\xbb\xbf{}", ReasonNotJSON},
		{`[]`, ReasonNotObject},
		{`[{"event":"job_added"}]`, ReasonNotObject},
		{`"job_added"`, ReasonNotObject},
		{`42`, ReasonNotObject},
		{`null`, ReasonNotObject},
		{`true`, ReasonNotObject},
	}
	for _, tt := range tests {
		doc, rej := Decode([]byte(tt.body))
		if tt.want == "" {
			if rej != nil {
				t.Errorf("Decode(%q) rejected: %v", tt.body, rej)
			}
			continue
		}
		if rej == nil {
			t.Errorf("Decode(%q) = %v; want %s", tt.body, doc, tt.want)
			continue
		}
		if rej.Reason != tt.want || !rej.Malformed() || rej.Detail == "" {
			t.Errorf("Decode(%q) = %+v (malformed %v); want reason %s, malformed", tt.body, rej, rej.Malformed(), tt.want)
		}
	}
}

func TestDecodeEmptyBodySaysSo(t *testing.T) {
	t.Parallel()
	_, rej := Decode(nil)
	if rej == nil || !strings.Contains(rej.Detail, "empty") {
		t.Errorf("Decode(nil) = %v; want a detail saying the body is empty", rej)
	}
}

func TestDecodeKeepsNumberText(t *testing.T) {
	t.Parallel()
	doc, rej := Decode([]byte(" {\"n\": 1.10, \"big\": 9007199254740993, \"e\": 1.5e308, \"tiny\": 1e-400, \"long\": 1" + strings.Repeat("0", 300) + "}\n\n"))
	if rej != nil {
		t.Fatal(rej)
	}
	for k, want := range map[string]json.Number{"n": "1.10", "big": "9007199254740993", "e": "1.5e308", "tiny": "1e-400", "long": json.Number("1" + strings.Repeat("0", 300))} {
		if got, ok := doc[k].(json.Number); !ok || got != want {
			t.Errorf("doc[%q] = %#v; want json.Number(%q)", k, doc[k], want)
		}
	}
}

func TestChallenge(t *testing.T) {
	t.Parallel()
	example, err := os.ReadFile(filepath.Join("testdata", "challenge.json"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		body string
		want string
	}{
		{string(example), `"a1b2c3d4e5f6g7h8i9j0"`},
		// Byte for byte: escapes, spacing and non-string values are echoed
		// as received, never re-encoded.
		{`{"challenge":"\u0061b\/c\u00e9"}`, `"\u0061b\/c\u00e9"`},
		{`{"challenge":"<&>"}`, `"<&>"`},
		{`{"type":"url_verification","challenge":  { "x" : [1 , 2.50] }  }`, `{ "x" : [1 , 2.50] }`},
		{`{"challenge":1.10}`, `1.10`},
		{`{"challenge":null}`, `null`},
		{`{"challenge":""}`, `""`},
	}
	for _, tt := range tests {
		doc, rej := Decode([]byte(tt.body))
		if rej != nil {
			t.Fatalf("Decode(%s): %v", tt.body, rej)
		}
		got, ok := Challenge(doc, []byte(tt.body))
		if !ok || string(got) != tt.want {
			t.Errorf("Challenge(%s) = %s, %v; want %s", tt.body, got, ok, tt.want)
		}
	}
	// An event that carries a challenge member is an event: answering it as
	// a handshake would be a 200 for something never stored.
	for _, body := range []string{`{}`, `{"event":"job_added"}`, `{"Challenge":"c"}`, `{"data":{"challenge":"c"}}`,
		`{"event":"job_added","challenge":"c"}`, `{"challenge":"c","event":null}`} {
		doc, _ := Decode([]byte(body))
		if got, ok := Challenge(doc, []byte(body)); ok {
			t.Errorf("Challenge(%s) = %s; want none", body, got)
		}
	}
}

// nested returns an object nested depth levels deep, counting the top-level
// object as the first, alternating arrays and objects.
func nested(depth int) string {
	var open, close strings.Builder
	open.WriteString("{")
	close.WriteString("}")
	for i := 1; i < depth; i++ {
		if i%2 == 1 {
			open.WriteString(`"a":[`)
			close.WriteString("]")
		} else {
			open.WriteString("{")
			close.WriteString("}")
		}
	}
	s := close.String()
	rev := []byte(s)
	slices.Reverse(rev)
	return open.String() + string(rev)
}

func TestDecodeHoldsBodiesToIJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		// field is the JSON pointer the rejection names; detail a part of
		// the words that say what is wrong.
		field, detail string
	}{
		{"invalid UTF-8", "{\"event\":\"job_\xff\"}", "/event", "invalid UTF-8"},
		{"invalid UTF-8 in a name", "{\"a\":{\"b\xfe\":1}}", "/a", "invalid UTF-8"},
		{"lone high surrogate", `{"a":["x\ud800"]}`, "/a/0", "lone surrogate"},
		{"lone low surrogate", `{"a":"\udc00x"}`, "/a", "lone surrogate"},
		{"reversed pair", `{"a":"\ude00\ud83d"}`, "/a", "lone surrogate"},
		{"duplicate name", `{"event":"a","event":"b"}`, "/event", "duplicate member name"},
		{"duplicate name, escaped", `{"event":"a","\u0065vent":"b"}`, "/event", "duplicate member name"},
		{"duplicate name, deep", `{"a":[{"b":{"c":1,"d":2,"c":3}}]}`, "/a/0/b/c", "duplicate member name"},
		{"overflowing exponent", `{"a":1e400}`, "/a", "IEEE 754 double"},
		{"overflowing negative", `{"a":[-1.8e308]}`, "/a/0", "IEEE 754 double"},
		{"overflowing integer", `{"a":1` + strings.Repeat("0", 309) + `}`, "/a", "IEEE 754 double"},
		{"NUL in a string", `{"a":{"b":"x\u0000y"}}`, "/a/b", `\u0000 in a string`},
		{"NUL in a name", `{"a\u0000b":1}`, "/a?b", `\u0000 in a member name`},
		// The pointer of the 33rd container has 32 tokens.
		{"deeper than 32", nested(MaxDepth + 1), strings.Repeat("/a/0", MaxDepth/2), "deeper than 32"},
		{"far deeper", nested(9990), strings.Repeat("/a/0", MaxDepth/2), "deeper than 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, rej := Decode([]byte(tt.body))
			if rej == nil {
				t.Fatalf("accepted as %v", doc)
			}
			if rej.Reason != ReasonNotIJSON || !rej.Malformed() {
				t.Errorf("reason %s (malformed %v), want %s, malformed", rej.Reason, rej.Malformed(), ReasonNotIJSON)
			}
			if rej.Field != tt.field {
				t.Errorf("field %q, want %q", rej.Field, tt.field)
			}
			if !strings.Contains(rej.Detail, tt.detail) || !strings.Contains(rej.Detail, tt.field) {
				t.Errorf("detail %q should say %q and name %s", rej.Detail, tt.detail, tt.field)
			}
			if !utf8.ValidString(rej.Error()) || strings.ContainsFunc(rej.Error(), unicode.IsControl) {
				t.Errorf("detail %q cannot go in a header line", rej.Error())
			}
		})
	}
}

// What I-JSON allows stays allowed: the rules reject what consumers'
// parsers read differently, nothing more.
func TestDecodeAcceptsWhatIJSONAllows(t *testing.T) {
	t.Parallel()
	for _, body := range []string{
		nested(MaxDepth),
		`{"pair":"\ud83d\ude00","raw":"😀","controls":"\u0001\u001f","escaped_nul_text":"\\u0000"}`,
		`{"max":1.7976931348623157e308,"min":-1.7976931348623157e308,"underflow":1e-400,"int":` + strings.Repeat("9", 308) + `}`,
		`{"a":{"x":1},"b":{"x":1},"c":[{"x":1},{"x":2}]}`,
	} {
		if _, rej := Decode([]byte(body)); rej != nil {
			t.Errorf("Decode(%.80s...) rejected: %v", body, rej)
		}
	}
}

// Bodies that differ only where a lenient decoder would rewrite them (each
// invalid byte to U+FFFD, the last of duplicate names) are both refused, so
// they can never share an id.
func TestDecodeRewritesNothing(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"{\"a\":\"\xff\xfe\"}", "{\"a\":\"\xfe\xff\"}"},
		{`{"a":"\ud800"}`, `{"a":"\udbff"}`},
		{`{"a":1,"a":2}`, `{"a":3,"a":2}`},
	} {
		for _, body := range pair {
			if doc, rej := Decode([]byte(body)); rej == nil {
				t.Errorf("Decode(%q) = %v, want a rejection", body, doc)
			}
		}
	}
}

// A rejection's detail quotes neither the body after a bad escape (what
// jsontext's own message would) nor a long member name in full.
func TestDecodeDetailsAreBounded(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", 10000)
	for _, body := range []string{
		`{"a":"\ud800` + long + `"}`,
		`{"` + long + `":1,"` + long + `":2}`,
		`{"a":tru` + long + `}`,
	} {
		_, rej := Decode([]byte(body))
		if rej == nil {
			t.Fatalf("accepted %.40s", body)
		}
		if n := len(rej.Error()); n > 600 {
			t.Errorf("detail of %d bytes for %.40s...: %.100s", n, body, rej.Error())
		}
	}
}

// The estimate passed to charge must cover what the Document really takes
// on the heap, for the bodies that cost the most per byte, or the budget
// would let memory past its cap. Not parallel: it measures the heap.
func TestDecodeMeteredEstimateCoversTheHeap(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector's shadow memory is not what production allocates")
	}
	bodies := map[string]string{
		"array of zeros":     `{"a":[` + strings.Repeat("0,", 100000) + `0]}`,
		"array of empties":   `{"a":[` + strings.Repeat("{},", 50000) + `[]]}`,
		"many members":       `{` + manyMembers(60000) + `}`,
		"short strings":      `{"a":[` + strings.Repeat(`"x",`, 60000) + `""]}`,
		"documented example": readTestdata(t, "applicant_applied.input.json"),
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			var charged int64
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			doc := new(tree)
			rej, err := decode(doc, []byte(body), func(n int64) error { charged += n; return nil })
			runtime.GC()
			runtime.ReadMemStats(&after)
			if rej != nil || err != nil {
				t.Fatal(rej, err)
			}
			live := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			runtime.KeepAlive(doc)
			// A small document is within the noise of the heap's own
			// bookkeeping; its estimate is only logged.
			if len(body) > 100000 && charged < live {
				t.Errorf("charged %d bytes for a document that holds %d on the heap", charged, live)
			}
			if len(body) > 100000 && charged > 4*live {
				t.Errorf("charged %d bytes for %d: an estimate this loose refuses bodies the budget could hold", charged, live)
			}
			t.Logf("%d-byte body: %d live, %d charged (%.1f× the body)", len(body), live, charged, float64(charged)/float64(len(body)))
		})
	}
}

func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":0`, i)
	}
	return b.String()
}

// A charge that fails stops decoding with its error, not a rejection.
func TestDecodeMeteredStopsWhenRefused(t *testing.T) {
	t.Parallel()
	refused := errors.New("no memory for you")
	body := `{"a":[` + strings.Repeat("0,", 50000) + `0]}`
	calls := 0
	o, err := IngestMetered([]byte(body), Options{}, func(int64) error { calls++; return refused })
	if !errors.Is(err, refused) || o.Event != nil || o.Rejection != nil || o.Challenge != nil {
		t.Errorf("IngestMetered = %+v, %v; want only the charge's error", o, err)
	}
	if calls != 1 {
		t.Errorf("%d charges after the first refusal, want decoding to stop at it", calls-1)
	}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
