package asyncapi

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "write schema/asyncapi.yaml from the catalog")

// committed is the document in the repository, relative to this package.
var committed = filepath.Join("..", "..", "asyncapi.yaml")

// TestDocumentIsCurrent: the committed document is what the catalog makes
// now, so a schema or a name changed without regenerating fails here. Not
// parallel: with -update it writes the document the parser tests read.
func TestDocumentIsCurrent(t *testing.T) {
	got, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(committed, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(committed)
	if err != nil {
		t.Fatalf("%v; generate it with: go generate ./schema/internal/asyncapi", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("schema/asyncapi.yaml is not what the catalog makes now; regenerate it with: go generate ./schema/internal/asyncapi\n%s", firstDifference(want, got))
	}
}

// TestGenerateIsDeterministic: map order or anything else random would
// make the committed file flap.
func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	first, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Generate()
		if err != nil || !bytes.Equal(again, first) {
			t.Fatalf("a second run differs (%v):\n%s", err, firstDifference(first, again))
		}
	}
}

func firstDifference(want, got []byte) string {
	w, g := bytes.Split(want, []byte("\n")), bytes.Split(got, []byte("\n"))
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl []byte
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if !bytes.Equal(wl, gl) {
			return fmt.Sprintf("line %d:\n committed: %s\n generated: %s", i+1, wl, gl)
		}
	}
	return ""
}
