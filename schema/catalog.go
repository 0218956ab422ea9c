package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed schemas/*.json
var schemaFiles embed.FS

const schemaBaseURL = "https://hirebridge.dev/schemas/"

// catalog maps each documented event type to its compiled schema. It is
// built once at package load: the schemas are embedded, so a failure here is
// a build defect, never a runtime condition.
var catalog = mustCompileCatalog()

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

func mustCompileCatalog() map[string]*jsonschema.Schema {
	c := jsonschema.NewCompiler()
	entries, err := fs.ReadDir(schemaFiles, "schemas")
	if err != nil {
		panic(err)
	}
	var types []string
	for _, e := range entries {
		f, err := schemaFiles.Open("schemas/" + e.Name())
		if err != nil {
			panic(err)
		}
		doc, err := jsonschema.UnmarshalJSON(f)
		f.Close()
		if err != nil {
			panic(fmt.Sprintf("schema %s: %v", e.Name(), err))
		}
		if err := c.AddResource(schemaBaseURL+e.Name(), doc); err != nil {
			panic(fmt.Sprintf("schema %s: %v", e.Name(), err))
		}
		if name := strings.TrimSuffix(e.Name(), path.Ext(e.Name())); name != "defs" {
			types = append(types, name)
		}
	}
	out := make(map[string]*jsonschema.Schema, len(types))
	for _, name := range types {
		sch, err := c.Compile(schemaBaseURL + name + ".json")
		if err != nil {
			panic(fmt.Sprintf("schema %s: %v", name, err))
		}
		out[name] = sch
	}
	return out
}
