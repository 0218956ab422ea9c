package asyncapi

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/internal/golden"

	"go.yaml.in/yaml/v3"

	"github.com/hirebridge/hirebridge/schema"
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
		t.Errorf("schema/asyncapi.yaml is not what the catalog makes now; regenerate it with: go generate ./schema/internal/asyncapi\n%s", golden.FirstDifference(want, got))
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
			t.Fatalf("a second run differs (%v):\n%s", err, golden.FirstDifference(first, again))
		}
	}
}

// TestPayloadFiles: every payload the document takes from a file is there,
// titled as the document names it, with the $id of its place under
// schema/schemas; the parser's check (Node) would find a missing file too,
// but only where Node is installed.
func TestPayloadFiles(t *testing.T) {
	t.Parallel()
	doc, err := Generate()
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Components struct {
			Schemas map[string]map[string]any `yaml:"schemas"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(doc, &d); err != nil {
		t.Fatal(err)
	}
	files := 0
	for name, s := range d.Components.Schemas {
		ref, ok := s["$ref"].(string)
		if !ok {
			continue
		}
		files++
		raw, err := os.ReadFile(filepath.Join("..", "..", filepath.FromSlash(ref)))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		var f struct {
			ID    string `json:"$id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal(raw, &f); err != nil {
			t.Errorf("%s: %v", ref, err)
			continue
		}
		if id := "https://hirebridge.dev/schemas/" + strings.TrimPrefix(ref, "./schemas/"); f.ID != id || f.Title != name {
			t.Errorf("%s: $id %q, title %q; want %q, %q", ref, f.ID, f.Title, id, name)
		}
	}
	if want := len(schema.KnownTypes()) + 1; files != want {
		t.Errorf("%d payloads from files, want %d: each documented type's and %s", files, want, undocumentedSchema)
	}
}
