package schema

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// referenceCanonical is what canonical must equal: encoding/json's own
// output without HTML escaping.
func referenceCanonical(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// FuzzCanonical holds canonical to encoding/json byte for byte on any
// object the decoder accepts: escapes, control bytes, invalid UTF-8,
// U+2028, numbers as written, nesting, key order.
func FuzzCanonical(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "*.input.json"))
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{}`,
		`{"a":"\u0000\u001f\b\f\n\r\t\"\\/<>&\u007f"}`,
		`{"b":"\u2028\u2029 é 😀 \ud800","a":[1,-0,1e400,1.10,true,false,null,{}]}`,
		"{\"raw\":\"\xff\xfe invalid\"}",
		`{"z":{"y":{"x":[[],[{}]]}},"":"empty key","é":"non-ASCII key"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		doc, rej := Decode(body)
		if rej != nil {
			return
		}
		want := referenceCanonical(t, map[string]any(doc))
		if got := refCanonical(doc); !bytes.Equal(got, want) {
			t.Fatalf("canonical(%q)\n got %s\nwant %s", body, got, want)
		}
	})
}
