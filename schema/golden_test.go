package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden.json from what Normalize returns")

// golden is what a golden file records of one normalized input. Body is the
// published body itself; the file shows it indented, which changes only
// whitespace between tokens, so number text and string escapes are exactly
// those of the published bytes.
type golden struct {
	Name      string          `json:"name"`
	ID        string          `json:"id"`
	Key       string          `json:"key"`
	Time      string          `json:"time"`
	Validated bool            `json:"validated"`
	Body      json.RawMessage `json:"body"`
}

func renderGolden(t *testing.T, ev *Event) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(golden{Name: ev.Name, ID: ev.ID, Key: ev.Key, Time: ev.Time, Validated: ev.Validated, Body: ev.Body})
	if err != nil {
		t.Fatalf("rendering golden: %v", err)
	}
	return buf.Bytes()
}

// TestNormalizeGolden pins the published body, id and key of every
// documented example and of the edge cases of normalization. Run with
// -update after a deliberate change, and read the diff before committing.
// Not parallel: with -update it writes the files other tests look at.
func TestNormalizeGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "*.input.json"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".input.json")
		t.Run(name, func(t *testing.T) {
			body, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			ev := mustNormalize(t, body)
			// The published body must be compact: the golden shows it
			// indented, so this is the one property it cannot show.
			var compact bytes.Buffer
			if err := json.Compact(&compact, ev.Body); err != nil || !bytes.Equal(compact.Bytes(), ev.Body) {
				t.Errorf("body is not compact JSON (%v): %s", err, ev.Body)
			}
			got := renderGolden(t, ev)
			path := filepath.Join("testdata", name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./schema -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s is stale or Normalize changed; got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

// TestGoldenFilesHaveInputs catches a golden left behind by a renamed or
// deleted input, which would otherwise pin nothing.
func TestGoldenFilesHaveInputs(t *testing.T) {
	t.Parallel()
	goldens, err := filepath.Glob(filepath.Join("testdata", "*.golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range goldens {
		in := strings.TrimSuffix(g, ".golden.json") + ".input.json"
		if _, err := os.Stat(in); err != nil {
			t.Errorf("%s has no input: %v", g, err)
		}
	}
}

// TestExamplesMatchSender keeps the copies in testdata equal to the
// sender's documented examples in the repository's testdata/hirempire.
func TestExamplesMatchSender(t *testing.T) {
	t.Parallel()
	for _, name := range append(KnownTypes(), "challenge") {
		theirs, err := os.ReadFile(filepath.Join("..", "testdata", "hirempire", name+".json"))
		if err != nil {
			t.Errorf("sender's example of %s: %v", name, err)
			continue
		}
		ours := filepath.Join("testdata", name+".input.json")
		if name == "challenge" {
			ours = filepath.Join("testdata", "challenge.json")
		}
		mine, err := os.ReadFile(ours)
		if err != nil {
			t.Errorf("copy of %s: %v", name, err)
			continue
		}
		if !bytes.Equal(theirs, mine) {
			t.Errorf("%s differs from the sender's example of %s", ours, name)
		}
	}
}
