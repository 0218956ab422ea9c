package schema

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// inputs returns every golden input: the documented examples and the edge
// cases, so the properties below hold over unicode, odd numbers and
// unknown types too.
func inputs(t *testing.T) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.input.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no inputs: %v", err)
	}
	out := make(map[string][]byte, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[strings.TrimSuffix(filepath.Base(f), ".input.json")] = b
	}
	return out
}

// reserialize writes v as other JSON for the same value: keys of every
// object in random order, random whitespace between tokens, and random
// characters of strings escaped (\uXXXX, surrogate pairs beyond the basic
// plane, \/ for a slash).
func reserialize(rng *rand.Rand, v any) []byte {
	var b bytes.Buffer
	writeValue(&b, rng, v)
	return b.Bytes()
}

func space(b *bytes.Buffer, rng *rand.Rand) {
	b.WriteString([]string{"", "", " ", "\n", "\t", "\r\n    ", "  "}[rng.IntN(7)])
}

func writeValue(b *bytes.Buffer, rng *rand.Rand, v any) {
	space(b, rng)
	switch v := v.(type) {
	case map[string]any:
		keys := slices.Collect(maps.Keys(v))
		rng.Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
		b.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				b.WriteByte(',')
			}
			space(b, rng)
			writeString(b, rng, k)
			space(b, rng)
			b.WriteByte(':')
			writeValue(b, rng, v[k])
		}
		space(b, rng)
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, e := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeValue(b, rng, e)
		}
		space(b, rng)
		b.WriteByte(']')
	case string:
		writeString(b, rng, v)
	case json.Number:
		b.WriteString(string(v))
	case bool:
		fmt.Fprint(b, v)
	case nil:
		b.WriteString("null")
	default:
		panic(fmt.Sprintf("unexpected %T", v))
	}
	space(b, rng)
}

func writeString(b *bytes.Buffer, rng *rand.Rand, s string) {
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\' || r < 0x20 || rng.IntN(3) == 0:
			if r == '/' && rng.IntN(2) == 0 {
				b.WriteString(`\/`)
				continue
			}
			if r > 0xFFFF {
				hi, lo := utf16.EncodeRune(r)
				fmt.Fprintf(b, `\u%04x\u%04X`, hi, lo)
				continue
			}
			fmt.Fprintf(b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
}

func TestEventIDIsDocumentedHash(t *testing.T) {
	t.Parallel()
	for name, body := range inputs(t) {
		ev := mustNormalize(t, body)
		sum := sha256.Sum256(ev.Body)
		if want := hex.EncodeToString(sum[:16]); ev.ID != want {
			t.Errorf("%s: id %s; want the first 128 bits of SHA-256 of the body, %s", name, ev.ID, want)
		}
	}
}

// TestEventIDSameForReserialized: the same event re-sent with other
// whitespace, key order or string escapes keeps its id and its body.
func TestEventIDSameForReserialized(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for name, body := range inputs(t) {
		want := mustNormalize(t, body)
		doc := mustDecode(t, body)
		for i := range 25 {
			again := reserialize(rng, doc)
			got := mustNormalize(t, again)
			if got.ID != want.ID || !bytes.Equal(got.Body, want.Body) {
				t.Fatalf("%s, variant %d: id %s; want %s\nvariant:\n%s", name, i, got.ID, want.ID, again)
			}
		}
	}
}

// TestEventIDSameForSameInstant: a timestamp (or meeting.scheduled_at)
// written in another zone or as a Unix time is the same event.
func TestEventIDSameForSameInstant(t *testing.T) {
	t.Parallel()
	for name, body := range inputs(t) {
		want := mustNormalize(t, body)
		for _, p := range []loc{{"timestamp"}, {"meeting", "scheduled_at"}} {
			normalized, ok := get(mustDecode(t, want.Body), p)
			if !ok || normalized == nil {
				continue
			}
			at, err := time.Parse(TimeLayout, normalized.(string))
			if err != nil {
				t.Fatalf("%s: %s %q: %v", name, p, normalized, err)
			}
			spellings := []any{
				at.In(time.FixedZone("", 3600)).Format("2006-01-02T15:04:05.000-07:00"),
				at.In(time.FixedZone("", -(5*3600 + 1800))).Format("2006-01-02T15:04:05.000000-0700"),
				at.In(time.FixedZone("", 14*3600)).Format("2006-01-02 15:04:05.999999999-07"),
				at.Format("2006-01-02T15:04:05.000"),
				at.Format("20060102T150405.000Z"),
				json.Number(fmt.Sprint(at.UnixMilli())),
				json.Number(fmt.Sprintf("%d.%03d", at.Unix(), at.Nanosecond()/1e6)),
				json.Number(fmt.Sprintf("%d.%03d999", at.Unix(), at.Nanosecond()/1e6)),
			}
			for _, s := range spellings {
				doc := mustDecode(t, body)
				set(t, doc, p, s)
				got := mustNormalize(t, mustEncode(t, doc))
				if got.ID != want.ID {
					t.Errorf("%s: %s as %v: id %s; want %s", name, p, s, got.ID, want.ID)
				}
			}
		}
	}
}

// mutation is one change of content, tried on a fresh copy of an input.
type mutation struct {
	what  string
	apply func(doc any)
}

// mutations lists, for one decoded input, a change of every leaf's value,
// of every number's text alone, of every key's name, of the order of every
// array that has distinct elements, and an added member at every object.
func mutations(t *testing.T, doc any, normalized any) []mutation {
	var out []mutation
	for _, p := range leaves(doc) {
		v, _ := get(doc, p)
		var alts []any
		switch {
		case p.String() == "/event":
			alts = []any{normalized.(map[string]any)["event"].(string) + "x"}
		case p.String() == "/timestamp" || p.String() == "/meeting/scheduled_at" && v != nil:
			norm, _ := get(normalized, p)
			at, _ := time.Parse(TimeLayout, norm.(string))
			alts = []any{at.Add(time.Millisecond).Format(TimeLayout), at.Add(-time.Millisecond).Format(TimeLayout)}
		default:
			switch v := v.(type) {
			case string:
				alts = []any{v + "x", "x" + v, strings.ToUpper(v) + "X"}
			case json.Number:
				text := string(v)
				// Same value, other text, then another value.
				same := text + ".0"
				if strings.ContainsAny(text, ".eE") {
					same = text + "0"
					if strings.ContainsAny(text, "eE") {
						same = strings.Replace(strings.Replace(text, "e", "0e", 1), "E", "0E", 1)
						if !strings.Contains(text, ".") {
							same = strings.Replace(strings.Replace(text, "e", ".0e", 1), "E", ".0E", 1)
						}
					}
				}
				other := "1" + strings.TrimPrefix(text, "-")
				alts = []any{json.Number(same), json.Number(other)}
			case bool:
				alts = []any{!v}
			case nil:
				alts = []any{"x", json.Number("0"), false}
			}
		}
		for _, alt := range alts {
			out = append(out, mutation{fmt.Sprintf("%s = %#v", p, alt), func(doc any) { set(t, doc, p, alt) }})
		}
	}
	walk(doc, nil, func(p loc, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k := range v {
				out = append(out, mutation{fmt.Sprintf("rename %s/%s", p, k), func(doc any) {
					obj, _ := get(doc, p)
					m := obj.(map[string]any)
					m[k+"_x"] = m[k]
					delete(m, k)
				}})
			}
			out = append(out, mutation{fmt.Sprintf("add to %s", p), func(doc any) {
				obj, _ := get(doc, p)
				obj.(map[string]any)["x_added"] = nil
			}})
		case []any:
			if len(v) < 2 || reflectEqual(t, v[0], v[len(v)-1]) {
				return
			}
			out = append(out, mutation{fmt.Sprintf("reverse %s", p), func(doc any) {
				arr, _ := get(doc, p)
				slices.Reverse(arr.([]any))
			}})
		}
	})
	return out
}

func reflectEqual(t *testing.T, a, b any) bool {
	return bytes.Equal(mustEncode(t, a), mustEncode(t, b))
}

// TestEventIDDiffersForAnyChange: any change of content, however small,
// gives another id, and no two changes give the same one. Changes that
// break the schema are rejected instead, which is fine; but every leaf must
// have at least one change that is published.
func TestEventIDDiffersForAnyChange(t *testing.T) {
	t.Parallel()
	for name, body := range inputs(t) {
		orig := mustNormalize(t, body)
		seen := map[string]string{orig.ID: "the original"}
		for _, m := range mutations(t, mustDecode(t, body), mustDecode(t, orig.Body)) {
			doc := mustDecode(t, body)
			m.apply(doc)
			ev, rej := normalize(mustEncode(t, doc), Options{})
			if rej != nil {
				if rej.Reason != ReasonSchema && rej.Reason != ReasonBadEvent && rej.Reason != ReasonBadTimestamp {
					t.Errorf("%s: %s: unexpected rejection %v", name, m.what, rej)
				}
				continue
			}
			if prev, dup := seen[ev.ID]; dup {
				t.Errorf("%s: %s gives id %s, as %s does", name, m.what, ev.ID, prev)
			}
			seen[ev.ID] = m.what
		}
		if len(seen) < 10 {
			t.Errorf("%s: only %d mutations were published; the test is not exercising it", name, len(seen)-1)
		}
	}
}

// TestEventIDMutationsCoverEveryLeaf guards the test above: each leaf of
// each documented example has a change that is published, so no field can
// escape the id by making every change of it a rejection.
func TestEventIDMutationsCoverEveryLeaf(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		orig := mustNormalize(t, ex.body)
		doc := mustDecode(t, ex.body)
		published := map[string]bool{}
		for _, m := range mutations(t, doc, mustDecode(t, orig.Body)) {
			if strings.HasPrefix(m.what, "rename") || strings.HasPrefix(m.what, "add") || strings.HasPrefix(m.what, "reverse") {
				continue
			}
			d := mustDecode(t, ex.body)
			m.apply(d)
			if ev, rej := normalize(mustEncode(t, d), Options{}); rej == nil && ev.ID != orig.ID {
				published[strings.SplitN(m.what, " = ", 2)[0]] = true
			}
		}
		for _, p := range leaves(doc) {
			if !published[p.String()] {
				t.Errorf("%s: no published change of %s", ex.name, p)
			}
		}
	}
}
