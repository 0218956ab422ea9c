package schema

import (
	"encoding/json"
	"io/fs"
	"testing"
)

// TestEveryPropertyIsDescribed: the published schemas are what consumers
// read to learn what a field means, and what code generators turn into
// doc comments, so no property goes without a description, in any file.
func TestEveryPropertyIsDescribed(t *testing.T) {
	t.Parallel()
	files, err := fs.Glob(schemaFiles, "schemas/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no schema files: %v", err)
	}
	for _, f := range files {
		raw, err := schemaFiles.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		checkDescribed(t, f, "", doc)
	}
}

func checkDescribed(t *testing.T, file, at string, node any) {
	t.Helper()
	obj, ok := node.(map[string]any)
	if !ok {
		return
	}
	if props, ok := obj["properties"].(map[string]any); ok {
		for name, p := range props {
			if d, _ := p.(map[string]any)["description"].(string); d == "" {
				t.Errorf("%s: %s/properties/%s has no description", file, at, name)
			}
		}
	}
	for k, v := range obj {
		if m, ok := v.(map[string]any); ok {
			checkDescribed(t, file, at+"/"+k, m)
		}
	}
}
