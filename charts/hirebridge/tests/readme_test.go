package tests

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"testing"

	"sigs.k8s.io/yaml"
)

// TestReadmeDocumentsEveryValue: the chart README's values table has a row
// for each value, and no row for a value that does not exist. A value is a
// key the schema declares without declaring properties below it (objects
// such as resources are documented whole).
func TestReadmeDocumentsEveryValue(t *testing.T) {
	var vals map[string]any
	readYAML(t, filepath.Join(chartDir, "values.yaml"), &vals)
	var schema schemaNode
	raw, err := os.ReadFile(filepath.Join(chartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &schema); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	var want []string
	var walk func(v map[string]any, s schemaNode, prefix string)
	walk = func(v map[string]any, s schemaNode, prefix string) {
		for key, val := range v {
			sub, ok := s.Properties[key]
			if !ok {
				t.Errorf("value %s%s is not in values.schema.json", prefix, key)
				continue
			}
			if m, isMap := val.(map[string]any); isMap && len(sub.Properties) > 0 {
				walk(m, sub, prefix+key+".")
				continue
			}
			want = append(want, prefix+key)
		}
	}
	walk(vals, schema, "")
	if len(want) < 50 {
		t.Fatalf("found only %d values: is values.yaml read right?", len(want))
	}

	readme, err := os.ReadFile(filepath.Join(chartDir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|").FindAllSubmatch(readme, -1)
	documented := map[string]bool{}
	for _, r := range rows {
		documented[string(r[1])] = true
	}
	slices.Sort(want)
	for _, key := range want {
		if !documented[key] {
			t.Errorf("README.md documents no value %s", key)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("README.md documents %s, which values.yaml does not have", key)
	}
}

type schemaNode struct {
	Properties map[string]schemaNode `json:"properties"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}
