package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

const schemaBaseURL = "https://hirebridge.dev/schemas/"

// catalog maps each documented event type to its compiled rules. It is
// built once at package load: the schemas are embedded, so a failure here is
// a build defect, never a runtime condition.
var catalog = mustCompileCatalog()

// knownTypes is KnownTypes, computed once.
var knownTypes = KnownTypes()

// KnownTypes lists the documented event types, sorted. Sinks create their
// topics for these at start.
func KnownTypes() []string {
	names := make([]string, 0, len(catalog))
	for name := range catalog {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// IsKnown reports whether name (already normalized) is a documented type.
func IsKnown(name string) bool {
	_, ok := catalog[name]
	return ok
}

// SchemaID is the $id of a documented type's published JSON Schema: the
// dataschema attribute of its messages.
func SchemaID(name string) (string, bool) {
	if !IsKnown(name) {
		return "", false
	}
	return schemaBaseURL + name + ".json", true
}

// SchemaJSON returns the raw JSON Schema of a documented type, for consumers
// and documentation.
func SchemaJSON(name string) ([]byte, bool) {
	if !IsKnown(name) {
		return nil, false
	}
	b, err := schemaFiles.ReadFile("schemas/" + name + ".json")
	return b, err == nil
}

func mustCompileCatalog() map[string]*rule {
	entries, err := fs.ReadDir(schemaFiles, "schemas")
	if err != nil {
		panic(err)
	}
	c := ruleCompiler{docs: map[string]map[string]any{}, done: map[string]*rule{}}
	var types []string
	for _, e := range entries {
		b, err := schemaFiles.ReadFile("schemas/" + e.Name())
		if err != nil {
			panic(err)
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		var doc map[string]any
		if err := dec.Decode(&doc); err != nil {
			panic(fmt.Sprintf("schema %s: %v", e.Name(), err))
		}
		c.docs[e.Name()] = doc
		if name := strings.TrimSuffix(e.Name(), path.Ext(e.Name())); name != "defs" {
			types = append(types, name)
		}
	}
	out := make(map[string]*rule, len(types))
	for _, name := range types {
		r, err := c.compile(name+".json", "")
		if err != nil {
			panic(fmt.Sprintf("schema %s: %v", name, err))
		}
		out[name] = r
	}
	return out
}
