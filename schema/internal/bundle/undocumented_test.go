package bundle

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/schema"
)

// undocumented is the payload schema of the types without a schema of
// their own (the AsyncAPI document's UndocumentedEvent): one file, by
// itself already, in a directory of its own so that no event name's file
// can be it and the catalog does not take it for a documented type.
var undocumented = filepath.Join(sources, "undocumented", "event.json")

// TestUndocumentedSchema: what the bridge publishes for an undocumented
// type is valid by the schema, read alone with formats asserted, and so is
// every documented type's body (a type documented later still fits);
// what lacks the name or the time is not.
func TestUndocumentedSchema(t *testing.T) {
	t.Parallel()
	if schema.IsKnown("undocumented") {
		t.Fatal("a documented type is called undocumented")
	}
	sch := compile(t, map[string][]byte{BaseURL + "undocumented/event.json": read(t, undocumented)})
	var valid [][]byte
	for _, body := range []string{
		`{"event":" Candidate.Hired ","timestamp":1769732096,"candidate":{"id":"c1"}}`,
		`{"event":"note_added","timestamp":"20260130T001456+0100","note":{"id":"n1"}}`,
		`{"event":"` + strings.Repeat("x", schema.MaxNameLength) + `","timestamp":"2026-01-30T10:00"}`,
	} {
		o := schema.Ingest([]byte(body), schema.Options{})
		if o.Event == nil || o.Event.Validated {
			t.Fatalf("%s: not published as an undocumented type: %+v", body, o.Rejection)
		}
		valid = append(valid, o.Event.Body)
	}
	for _, name := range schema.KnownTypes() {
		valid = append(valid, normalized(t, name))
	}
	for _, body := range valid {
		if err := sch.Validate(instance(t, body)); err != nil {
			t.Errorf("%s: %v", body, err)
		}
	}
	for _, body := range []string{
		`{"event":"note_added"}`,
		`{"timestamp":"2026-01-30T00:14:56.395Z"}`,
		`{"event":"note_added","timestamp":"2026-01-30"}`,
		`{"event":"Note_Added","timestamp":"2026-01-30T00:14:56.395Z"}`,
		`{"event":"` + strings.Repeat("x", schema.MaxNameLength+1) + `","timestamp":"2026-01-30T00:14:56.395Z"}`,
		`[]`,
	} {
		if err := sch.Validate(instance(t, []byte(body))); err == nil {
			t.Errorf("%s: valid", body)
		}
	}
}

// TestIDsAreTheLayout: every published schema's $id is BaseURL and its
// path under schema/schemas, as the manual promises (docs/messages.md), so
// a validator mapping BaseURL to the directory resolves every $ref.
func TestIDsAreTheLayout(t *testing.T) {
	t.Parallel()
	files := 0
	err := filepath.WalkDir(sources, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(path) != ".json" {
			return err
		}
		files++
		rel, err := filepath.Rel(sources, path)
		if err != nil {
			return err
		}
		var doc struct {
			ID string `json:"$id"`
		}
		if err := json.Unmarshal(read(t, path), &doc); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if want := BaseURL + filepath.ToSlash(rel); doc.ID != want {
			t.Errorf("schema/schemas/%s: $id %q, want %q", filepath.ToSlash(rel), doc.ID, want)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// At least each type's source and bundle, defs.json and the
	// undocumented one.
	if want := 2*len(schema.KnownTypes()) + 2; files < want {
		t.Errorf("%d schema files found, want %d or more", files, want)
	}
}
