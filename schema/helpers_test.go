package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// example is one documented payload, copied from the sender's documentation
// into testdata/<type>.input.json.
type example struct {
	name string
	body []byte
}

// examples returns the documented payload of every known type. A known type
// without one is a gap in the tests, so it fails rather than shrinks them.
func examples(t testing.TB) []example {
	t.Helper()
	var out []example
	for _, name := range KnownTypes() {
		body, err := os.ReadFile(filepath.Join("testdata", name+".input.json"))
		if err != nil {
			t.Fatalf("documented example of %s: %v", name, err)
		}
		out = append(out, example{name: name, body: body})
	}
	return out
}

func mustNormalize(t testing.TB, body []byte) *Event {
	t.Helper()
	ev, rej := normalize(body, Options{})
	if rej != nil {
		t.Fatalf("Normalize rejected %s: %v", truncate(string(body), 200), rej)
	}
	return ev
}

// mustDecode decodes JSON the way Decode does (numbers as json.Number) but
// into any value, for tests that build or mutate payloads.
func mustDecode(t testing.TB, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decoding %s: %v", truncate(string(b), 200), err)
	}
	return v
}

// mustEncode encodes a decoded value back to JSON, without HTML escaping so
// that what a test wrote is what Normalize sees.
func mustEncode(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatalf("encoding: %v", err)
	}
	return buf.Bytes()
}

// loc addresses a member of a decoded value: string keys and int indexes.
type loc []any

func (p loc) String() string {
	var b bytes.Buffer
	for _, step := range p {
		b.WriteByte('/')
		switch s := step.(type) {
		case string:
			b.WriteString(s)
		case int:
			b.WriteString(strconv.Itoa(s))
		}
	}
	if b.Len() == 0 {
		return "/"
	}
	return b.String()
}

// walk calls fn for every value under v, parents before children, with
// the path that reaches it.
func walk(v any, p loc, fn func(p loc, v any)) {
	fn(p, v)
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			walk(child, append(append(loc(nil), p...), k), fn)
		}
	case []any:
		for i, child := range v {
			walk(child, append(append(loc(nil), p...), i), fn)
		}
	}
}

// leaves lists the paths of every scalar (string, number, bool, null)
// under v.
func leaves(v any) []loc {
	var out []loc
	walk(v, nil, func(p loc, v any) {
		switch v.(type) {
		case map[string]any, []any:
		default:
			out = append(out, p)
		}
	})
	return out
}

// get returns the value at p, and whether it exists.
func get(v any, p loc) (any, bool) {
	for _, step := range p {
		switch s := step.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, false
			}
			if v, ok = m[s]; !ok {
				return nil, false
			}
		case int:
			a, ok := v.([]any)
			if !ok || s >= len(a) {
				return nil, false
			}
			v = a[s]
		}
	}
	return v, true
}

// set replaces the value at p, which must exist or be a new key of an
// existing object.
func set(t testing.TB, root any, p loc, value any) {
	t.Helper()
	parent, ok := get(root, p[:len(p)-1])
	if !ok {
		t.Fatalf("no parent for %s", p)
	}
	switch s := p[len(p)-1].(type) {
	case string:
		parent.(map[string]any)[s] = value
	case int:
		parent.([]any)[s] = value
	}
}
