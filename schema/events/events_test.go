package events_test

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/bridge"
	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

// Every published body of the golden files decodes by its subject, its
// ce-type and its type into the Go type of its event.
func TestDecodeEveryPublishedBody(t *testing.T) {
	t.Parallel()
	paths, err := filepath.Glob(filepath.Join("..", "testdata", "*.golden.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden files: %v", err)
	}
	decoded := 0
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var golden struct {
			Name string          `json:"name"`
			Body json.RawMessage `json:"body"`
		}
		if err := json.Unmarshal(raw, &golden); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{golden.Name, events.CloudEventsTypePrefix + golden.Name, events.Subject("acme.hirempire", golden.Name)} {
			ev, err := events.Decode(name, golden.Body)
			if !schema.IsKnown(golden.Name) {
				if !errors.Is(err, events.ErrUnknownType) {
					t.Errorf("%s: Decode(%s) = %v, want ErrUnknownType", p, name, err)
				}
				continue
			}
			if err != nil {
				t.Errorf("%s: Decode(%s): %v", p, name, err)
				continue
			}
			if got := reflect.ValueOf(ev).Elem().FieldByName("Event").String(); got != golden.Name {
				t.Errorf("%s: decoded as a %q event", p, got)
			}
			decoded++
		}
	}
	if decoded < 3*7 {
		t.Errorf("only %d decodings of documented events: the golden files lack some types", decoded)
	}
	// A subject of an undocumented type that ends like a documented one.
	if _, err := events.Decode("hirempire.x.job_added", []byte(`{"event":"x.job_added"}`)); !errors.Is(err, events.ErrUnknownType) {
		t.Errorf("Decode of an undocumented x.job_added = %v, want ErrUnknownType", err)
	}
}

// The names consumers are given are the bridge's own. The code uses this
// package's names; only the defaults in struct tags, which cannot name a
// constant, are compared here.
func TestNamesAreTheBridges(t *testing.T) {
	t.Parallel()
	documented := []string{events.JobAdded, events.JobActivated, events.JobDeactivated, events.JobDeleted,
		events.ApplicantApplied, events.CVUploadCompleted, events.MeetingBooked}
	slices.Sort(documented)
	if !slices.Equal(documented, schema.KnownTypes()) {
		t.Errorf("events names %v, the catalog has %v", documented, schema.KnownTypes())
	}
	if tag := fieldTag(t, reflect.TypeFor[bridge.Config](), "Prefix"); tag != events.DefaultPrefix {
		t.Errorf("DefaultPrefix %q, the bridge's default is %q", events.DefaultPrefix, tag)
	}
	if tag := fieldTag(t, reflect.TypeFor[natsjs.Config](), "Stream"); tag != events.DefaultStream {
		t.Errorf("DefaultStream %q, the NATS sink's default is %q", events.DefaultStream, tag)
	}
}

func fieldTag(t *testing.T, typ reflect.Type, field string) string {
	t.Helper()
	f, ok := typ.FieldByName(field)
	if !ok {
		t.Fatalf("%s has no field %s", typ, field)
	}
	return f.Tag.Get("envDefault")
}

// A consumer importing the types links no validator and no broker client.
func TestImportsOnlyTheStandardLibrary(t *testing.T) {
	t.Parallel()
	// Asked of go list rather than guessed from the path: the standard
	// library has dotted paths of its own (crypto/internal/entropy/v1.0.0).
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, dep := range strings.Fields(string(out)) {
		if dep != "github.com/hirebridge/hirebridge/schema/events" {
			t.Errorf("package events depends on %s", dep)
		}
	}
}

// Each documented type's published schema has the $id its messages name in
// dataschema, a title fit for a type name, and event as a const.
func TestPublishedSchemas(t *testing.T) {
	t.Parallel()
	for _, name := range schema.KnownTypes() {
		id, ok := schema.SchemaID(name)
		raw, found := schema.SchemaJSON(name)
		if !ok || !found {
			t.Fatalf("%s: no schema", name)
		}
		var doc struct {
			ID         string `json:"$id"`
			Title      string `json:"title"`
			Properties struct {
				Event     struct{ Const string }  `json:"event"`
				Timestamp struct{ Format string } `json:"timestamp"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		if doc.ID != id {
			t.Errorf("%s: $id %q, messages name %q", name, doc.ID, id)
		}
		if strings.ContainsAny(doc.Title, " .") || doc.Title == "" {
			t.Errorf("%s: title %q is not a type name", name, doc.Title)
		}
		if doc.Properties.Event.Const != name || doc.Properties.Timestamp.Format != "date-time" {
			t.Errorf("%s: event %+v, timestamp %+v; want event a const and timestamp a date-time", name, doc.Properties.Event, doc.Properties.Timestamp)
		}
	}
}
