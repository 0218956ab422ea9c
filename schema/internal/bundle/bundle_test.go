package bundle

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema/internal/golden"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hirebridge/hirebridge/schema"
)

var update = flag.Bool("update", false, "write schema/schemas/bundled from the sources")

// The published schemas and the documented examples, relative to this
// package.
var (
	sources  = filepath.Join("..", "..", "schemas")
	bundled  = filepath.Join(sources, Dir)
	examples = filepath.Join("..", "..", "..", "testdata", "hirempire")
)

const regenerate = "regenerate them with: go generate ./schema/internal/bundle"

// TestBundlesAreCurrent: the committed bundles are what the sources make
// now, one per documented type and nothing else, so a schema changed
// without regenerating fails here. With -update it writes them.
func TestBundlesAreCurrent(t *testing.T) {
	want, err := Generate(sources)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob(filepath.Join(bundled, "*"))
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.MkdirAll(bundled, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range committed {
			if _, ok := want[filepath.Base(f)]; !ok {
				if err := os.Remove(f); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, b := range want {
			if err := os.WriteFile(filepath.Join(bundled, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	for _, f := range committed {
		if _, ok := want[filepath.Base(f)]; !ok {
			t.Errorf("schema/schemas/%s/%s is not the bundle of a documented type; %s", Dir, filepath.Base(f), regenerate)
		}
	}
	for name, b := range want {
		got, err := os.ReadFile(filepath.Join(bundled, name))
		if err != nil {
			t.Errorf("%v; %s", err, regenerate)
			continue
		}
		if !bytes.Equal(got, b) {
			t.Errorf("schema/schemas/%s/%s is not what the sources make now; %s\n%s", Dir, name, regenerate, golden.FirstDifference(got, b))
		}
	}
}

// TestBundlesStandAlone: each bundle compiles with nothing but itself (any
// other URL refused) and names no other document, and the bridge's
// normalized documented example of its type is valid by it, formats
// asserted.
func TestBundlesStandAlone(t *testing.T) {
	t.Parallel()
	for _, name := range schema.KnownTypes() {
		raw := read(t, filepath.Join(bundled, name+".json"))
		for _, ref := range refs(t, raw) {
			if !strings.HasPrefix(ref, "#") {
				t.Errorf("bundled/%s.json: $ref %q names another document", name, ref)
			}
		}
		sch := compile(t, map[string][]byte{BaseURL + Dir + "/" + name + ".json": raw})
		if err := sch.Validate(instance(t, normalized(t, name))); err != nil {
			t.Errorf("bundled/%s.json refuses the documented example: %v", name, err)
		}
	}
}

// TestBundlesValidateAsTheSources: a bundle and its source (with defs.json)
// give every body the same verdict: each type's normalized example, the
// other types' examples, and each example changed at every place (a member
// removed, a value of every JSON type put in its stead, a time that is
// not one).
func TestBundlesValidateAsTheSources(t *testing.T) {
	t.Parallel()
	var bodies [][]byte
	for _, name := range schema.KnownTypes() {
		bodies = append(bodies, variants(t, normalized(t, name))...)
	}
	defs := read(t, filepath.Join(sources, defsFile))
	for _, name := range schema.KnownTypes() {
		src := compile(t, map[string][]byte{
			BaseURL + name + ".json": read(t, filepath.Join(sources, name+".json")),
			BaseURL + defsFile:       defs,
		}, BaseURL+name+".json")
		bun := compile(t, map[string][]byte{BaseURL + Dir + "/" + name + ".json": read(t, filepath.Join(bundled, name+".json"))})
		valid := 0
		for _, body := range bodies {
			v := instance(t, body)
			srcErr, bunErr := src.Validate(v), bun.Validate(v)
			if (srcErr == nil) != (bunErr == nil) {
				t.Errorf("%s: the source says %v, the bundle %v, of %s", name, srcErr, bunErr, body)
			}
			if srcErr == nil {
				valid++
			}
		}
		// Both verdicts occur, or agreeing would mean little.
		if valid == 0 || valid == len(bodies) {
			t.Errorf("%s: %d of %d bodies valid", name, valid, len(bodies))
		}
	}
}

// TestBundle: what the bundler does with what the sources might hold.
func TestBundle(t *testing.T) {
	t.Parallel()
	defs := `{"$id": "https://x/defs.json", "$comment": "dropped", "$defs": {
	  "a": {"type": "object", "properties": {"b": {"$ref": "#/$defs/b"}, "c": {"$ref": "defs.json#/$defs/c"}}},
	  "b": {"type": "string"}, "c": {"type": "number"}, "unused": {"type": "null"}, "d~/e": {"type": "boolean"}}}`
	for _, c := range []struct{ name, source, want, err string }{{
		name:   "the definitions used, through one another, in defs.json's order",
		source: `{"$id": "https://x/s.json", "title": "S", "properties": {"c": {"$ref": "defs.json#/$defs/c"}, "a": {"$ref": "defs.json#/$defs/a", "description": "<&>"}}}`,
		want: `{
  "$id": "https://x/bundled/s.json",
  "$comment": "generated",
  "title": "S",
  "properties": {
    "c": {"$ref": "#/$defs/c"},
    "a": {"$ref": "#/$defs/a", "description": "<&>"}
  },
  "$defs": {
    "a": {
      "type": "object",
      "properties": {
        "b": {"$ref": "#/$defs/b"},
        "c": {"$ref": "#/$defs/c"}
      }
    },
    "b": {"type": "string"},
    "c": {"type": "number"}
  }
}
`,
	}, {
		name:   "the source's own definitions first, its comment kept, instances untouched",
		source: `{"$id": "i", "$comment": "mine", "$defs": {"own": {"type": "integer"}}, "properties": {"const": {"$ref": "#/$defs/own"}, "k": {"const": {"$ref": "elsewhere"}, "enum": [{"$ref": 1}]}, "e": {"$ref": "defs.json#/$defs/d~0~1e"}}, "required": ["e"]}`,
		want: `{
  "$id": "https://x/bundled/s.json",
  "$comment": "generated mine",
  "properties": {
    "const": {"$ref": "#/$defs/own"},
    "k": {
      "const": {"$ref": "elsewhere"},
      "enum": [
        {"$ref": 1}
      ]
    },
    "e": {"$ref": "#/$defs/d~0~1e"}
  },
  "required": ["e"],
  "$defs": {
    "own": {"type": "integer"},
    "d~/e": {"type": "boolean"}
  }
}
`,
	}, {
		name:   "another document",
		source: `{"$id": "i", "properties": {"a": {"$ref": "https://x/other.json"}}}`,
		err:    `$ref "https://x/other.json"`,
	}, {
		name:   "a definition defs.json lacks",
		source: `{"$id": "i", "items": [{"$ref": "defs.json#/$defs/nope"}]}`,
		err:    "has no $defs/nope",
	}, {
		name:   "the whole of defs.json",
		source: `{"$id": "i", "$ref": "defs.json"}`,
		err:    `$ref "defs.json"`,
	}, {
		name:   "a name defined twice",
		source: `{"$id": "i", "$defs": {"b": {}}, "$ref": "defs.json#/$defs/a"}`,
		err:    "$defs/b is defined both here and in defs.json",
	}, {
		name:   "no $id",
		source: `{"type": "object"}`,
		err:    "no $id",
	}} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Bundle([]byte(c.source), []byte(defs), "https://x/bundled/s.json", "generated")
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("got error %v, want one saying %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.want {
				t.Errorf("got\n%s\nwant\n%s", got, c.want)
			}
		})
	}
}

// compile compiles the schema at the first URL of docs (or at root),
// with the other documents as resources and any other URL refused.
func compile(t *testing.T, docs map[string][]byte, root ...string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.UseLoader(refuse{})
	c.AssertFormat()
	for url, raw := range docs {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		root = append(root, url)
	}
	sch, err := c.Compile(root[0])
	if err != nil {
		t.Fatalf("%s: %v", root[0], err)
	}
	return sch
}

type refuse struct{}

func (refuse) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: not given, and nothing is fetched", url)
}

// refs are the $ref values anywhere in a JSON document.
func refs(t *testing.T, raw []byte) []string {
	t.Helper()
	var out []string
	var visit func(any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if r, ok := v["$ref"].(string); ok {
				out = append(out, r)
			}
			for _, x := range v {
				visit(x)
			}
		case []any:
			for _, x := range v {
				visit(x)
			}
		}
	}
	visit(instance(t, raw))
	return out
}

// normalized is the body the bridge publishes for the documented example
// of a type.
func normalized(t *testing.T, name string) []byte {
	t.Helper()
	o := schema.Ingest(read(t, filepath.Join(examples, name+".json")), schema.Options{})
	if o.Event == nil || !o.Event.Validated {
		t.Fatalf("the example of %s is not a valid event: %+v", name, o.Rejection)
	}
	return o.Event.Body
}

// variants are body and body changed at each place in turn.
func variants(t *testing.T, body []byte) [][]byte {
	t.Helper()
	out := [][]byte{body}
	var paths [][]any
	var visit func(path []any, v any)
	visit = func(path []any, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				p := append(slices.Clone(path), k)
				paths = append(paths, p)
				visit(p, x)
			}
		case []any:
			for i, x := range v {
				p := append(slices.Clone(path), i)
				paths = append(paths, p)
				visit(p, x)
			}
		}
	}
	visit(nil, instance(t, body))
	replacements := []any{nil, json.Number("1"), "x", "2026-02-30T10:00:00.000Z", true, map[string]any{}, []any{}}
	for _, p := range paths {
		for _, r := range append(replacements, remove{}) {
			doc := instance(t, body)
			set(doc, p, r)
			b, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b)
		}
	}
	return out
}

type remove struct{}

func set(doc any, path []any, v any) {
	for len(path) > 1 {
		switch d := doc.(type) {
		case map[string]any:
			doc = d[path[0].(string)]
		case []any:
			doc = d[path[0].(int)]
		}
		path = path[1:]
	}
	switch d := doc.(type) {
	case map[string]any:
		if _, ok := v.(remove); ok {
			delete(d, path[0].(string))
		} else {
			d[path[0].(string)] = v
		}
	case []any:
		if _, ok := v.(remove); !ok {
			d[path[0].(int)] = v
		}
	}
}

func instance(t *testing.T, raw []byte) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	return v
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
