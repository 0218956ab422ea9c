package schema

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// required lists, per documented type, the objects consumers key on: the
// schema must name them when missing. meeting_booked's job and applicant
// are optional, but when present they need their id.
var required = map[string][]string{
	"job_added":           {"/company", "/job"},
	"job_activated":       {"/company", "/job"},
	"job_deactivated":     {"/company", "/job"},
	"job_deleted":         {"/company", "/job"},
	"applicant_applied":   {"/company", "/job", "/applicant"},
	"cv_upload_completed": {"/company", "/job", "/applicant"},
	"meeting_booked":      {"/company", "/meeting"},
}

// keyed reports whether a member is one consumers key on (an id, or an
// object holding one), as opposed to a descriptive field that may be null.
func keyed(p loc) bool {
	switch s := p.String(); {
	case s == "/event", s == "/timestamp":
		return true
	case len(p) == 1 && slices.Contains([]string{"company", "job", "applicant", "meeting"}, s[1:]):
		return true
	case len(p) == 2 && p[1] == "id":
		return true
	}
	return false
}

func TestKnownTypesAreTheDocumentedOnes(t *testing.T) {
	t.Parallel()
	want := []string{"applicant_applied", "cv_upload_completed", "job_activated", "job_added", "job_deactivated", "job_deleted", "meeting_booked"}
	if got := KnownTypes(); !slices.Equal(got, want) {
		t.Errorf("KnownTypes() = %v; want %v", got, want)
	}
	for _, name := range want {
		if !IsKnown(name) {
			t.Errorf("IsKnown(%q) = false", name)
		}
		raw, ok := SchemaJSON(name)
		var sch struct {
			ID string `json:"$id"`
		}
		if !ok || json.Unmarshal(raw, &sch) != nil || !strings.HasSuffix(sch.ID, "/"+name+".json") {
			t.Errorf("SchemaJSON(%q) = %.60s, %v; want its schema", name, raw, ok)
		}
	}
	for _, name := range []string{"defs", "job_updated", "Job_Added", "", "../schemas/defs"} {
		if IsKnown(name) {
			t.Errorf("IsKnown(%q) = true", name)
		}
		if _, ok := SchemaJSON(name); ok {
			t.Errorf("SchemaJSON(%q) found a schema", name)
		}
	}
}

func TestExamplesValidate(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		for _, strict := range []bool{false, true} {
			ev, rej := normalize(ex.body, Options{Strict: strict})
			if rej != nil {
				t.Errorf("%s (strict %v): %v", ex.name, strict, rej)
				continue
			}
			if ev.Name != ex.name || !ev.Validated {
				t.Errorf("%s (strict %v): name %q, validated %v", ex.name, strict, ev.Name, ev.Validated)
			}
		}
	}
}

// TestDescriptiveFieldsMayBeNull: the schemas are lenient where consumers
// do not key, so every other member of every example accepts null.
func TestDescriptiveFieldsMayBeNull(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		walk(mustDecode(t, ex.body), nil, func(p loc, _ any) {
			if len(p) == 0 || keyed(p) {
				return
			}
			if _, member := p[len(p)-1].(string); !member {
				return
			}
			doc := mustDecode(t, ex.body)
			set(t, doc, p, nil)
			ev, rej := normalize(mustEncode(t, doc), Options{Strict: true})
			if rej != nil || !ev.Validated {
				t.Errorf("%s with %s null: %v", ex.name, p, rej)
			}
		})
	}
}

// TestKeyedMembersMayNotBeNull is the other side: ids and the objects that
// hold them are refused as null, at their own path.
func TestKeyedMembersMayNotBeNull(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		walk(mustDecode(t, ex.body), nil, func(p loc, _ any) {
			if len(p) == 0 || !keyed(p) || p.String() == "/event" || p.String() == "/timestamp" {
				return
			}
			doc := mustDecode(t, ex.body)
			set(t, doc, p, nil)
			_, rej := normalize(mustEncode(t, doc), Options{})
			if rej == nil || rej.Reason != ReasonSchema || rej.Field != p.String() {
				t.Errorf("%s with %s null: %v; want %s at %s", ex.name, p, rej, ReasonSchema, p)
			}
		})
	}
}

// TestEveryDocumentedFieldIsTyped: a value of the wrong type anywhere in an
// example is refused at its own path, so the schemas cover every field the
// sender documents. The detail never echoes the value, which may be
// personal data.
func TestEveryDocumentedFieldIsTyped(t *testing.T) {
	t.Parallel()
	const secret = "john.doe-secret@example.com"
	for _, ex := range examples(t) {
		walk(mustDecode(t, ex.body), nil, func(p loc, v any) {
			if len(p) == 0 || v == nil {
				return
			}
			var wrong any = secret
			if _, isString := v.(string); isString {
				wrong = map[string]any{"value": secret}
			}
			doc := mustDecode(t, ex.body)
			set(t, doc, p, wrong)
			_, rej := normalize(mustEncode(t, doc), Options{})
			want, field := ReasonSchema, p.String()
			switch field {
			case "/event":
				want = ReasonBadEvent
			case "/timestamp", "/meeting/scheduled_at":
				want = ReasonBadTimestamp
			}
			if rej == nil || rej.Reason != want || rej.Field != field {
				t.Errorf("%s with %s of the wrong type: %v; want %s at %s", ex.name, p, rej, want, field)
				return
			}
			if strings.Contains(rej.Detail, "john.doe") || strings.Contains(rej.Error(), "john.doe") {
				t.Errorf("%s: the rejection echoes the value: %v", ex.name, rej)
			}
		})
	}
}

func TestMissingRequiredIsNamed(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		objects := required[ex.name]
		if len(objects) == 0 {
			t.Fatalf("%s: no required objects listed", ex.name)
		}
		var paths []loc
		for _, o := range objects {
			paths = append(paths, loc{o[1:]}, loc{o[1:], "id"})
		}
		for _, p := range paths {
			doc := mustDecode(t, ex.body)
			parent, _ := get(doc, p[:len(p)-1])
			delete(parent.(map[string]any), p[len(p)-1].(string))
			_, rej := normalize(mustEncode(t, doc), Options{})
			if rej == nil || rej.Reason != ReasonSchema || rej.Field != p.String() ||
				!strings.Contains(rej.Detail, ex.name+" requires "+p.String()) {
				t.Errorf("%s without %s: %v; want %s at %s naming it", ex.name, p, rej, ReasonSchema, p)
			}
		}
	}
	// Optional objects of meeting_booked still need their id when present.
	for _, p := range []loc{{"job"}, {"applicant"}} {
		doc := mustDecode(t, mustRead(t, "meeting_booked"))
		delete(doc.(map[string]any), p[0].(string))
		if ev, rej := normalize(mustEncode(t, doc), Options{Strict: true}); rej != nil || !ev.Validated {
			t.Errorf("meeting_booked without %s: %v; want it valid", p, rej)
		}
		doc = mustDecode(t, mustRead(t, "meeting_booked"))
		delete(doc.(map[string]any)[p[0].(string)].(map[string]any), "id")
		if _, rej := normalize(mustEncode(t, doc), Options{}); rej == nil || rej.Field != p.String()+"/id" {
			t.Errorf("meeting_booked without %s/id: %v; want it named", p, rej)
		}
	}
}

func TestSchemaRejections(t *testing.T) {
	t.Parallel()
	tests := []struct {
		example string
		at      loc
		value   any
		field   string
	}{
		{"job_added", loc{"job", "id"}, json.Number("12345"), "/job/id"},
		{"job_added", loc{"job", "id"}, "", "/job/id"},
		{"job_added", loc{"job"}, "job_kl23mn45op67qr89st", "/job"},
		{"job_added", loc{"job"}, []any{map[string]any{"id": "job_1"}}, "/job"},
		{"job_added", loc{"company", "id"}, true, "/company/id"},
		{"job_added", loc{"job", "hide_salary"}, "false", "/job/hide_salary"},
		{"job_added", loc{"job", "sources"}, "LinkedIn", "/job/sources"},
		{"job_added", loc{"job", "sources", 1}, json.Number("2"), "/job/sources/1"},
		{"applicant_applied", loc{"applicant"}, "app_xyz789wvu654tsr321", "/applicant"},
		{"applicant_applied", loc{"applicant", "id"}, json.Number("7"), "/applicant/id"},
		{"applicant_applied", loc{"applicant", "years_of_experience"}, "6", "/applicant/years_of_experience"},
		{"applicant_applied", loc{"applicant", "spoken_languages", 1}, "Spanish", "/applicant/spoken_languages/1"},
		{"applicant_applied", loc{"applicant", "ai_evaluation", "score"}, "85", "/applicant/ai_evaluation/score"},
		{"applicant_applied", loc{"applicant", "media_questions"}, []any{}, "/applicant/media_questions"},
		{"cv_upload_completed", loc{"job"}, nil, "/job"},
		{"meeting_booked", loc{"meeting", "id"}, json.Number("1"), "/meeting/id"},
		{"meeting_booked", loc{"meeting", "organizer"}, "Jane Smith", "/meeting/organizer"},
		{"meeting_booked", loc{"meeting", "duration_minutes"}, "30", "/meeting/duration_minutes"},
		{"meeting_booked", loc{"applicant", "id"}, "", "/applicant/id"},
	}
	for _, tt := range tests {
		doc := mustDecode(t, mustRead(t, tt.example))
		set(t, doc, tt.at, tt.value)
		ev, rej := normalize(mustEncode(t, doc), Options{})
		if rej == nil {
			t.Errorf("%s with %s = %#v: accepted (validated %v)", tt.example, tt.at, tt.value, ev.Validated)
			continue
		}
		if rej.Reason != ReasonSchema || rej.Field != tt.field || rej.Malformed() ||
			!strings.HasPrefix(rej.Detail, tt.example+": "+tt.field+" ") {
			t.Errorf("%s with %s = %#v: %+v; want %s at %s", tt.example, tt.at, tt.value, rej, ReasonSchema, tt.field)
		}
	}
}

// TestSeveralViolationsOneAnswer: the validator visits members in map
// order; the rejection must not follow it, or the same body would name
// another field first, or list its problems in another order, on each
// try (normalize holds the list to the reference's).
func TestSeveralViolationsOneAnswer(t *testing.T) {
	t.Parallel()
	tests := []struct{ body, field string }{
		{`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":1,"name":2},"job":{"id":3,"title":4,"sources":5}}`, "/company/id"},
		{`{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":"c"},"job":{"title":4,"sources":5,"hide_salary":"no"}}`, "/job/hide_salary"},
		{`{"event":"applicant_applied","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":"c","company":{}},"job":{"id":"j"},"applicant":{"id":"a"}}`, "/company/company"},
		{`{"event":"meeting_booked","timestamp":"2026-01-30T02:05:17.892Z","applicant":{},"job":{}}`, "/applicant/id"},
	}
	for _, tt := range tests {
		for range 50 {
			_, rej := normalize([]byte(tt.body), Options{})
			if rej == nil || rej.Reason != ReasonSchema || rej.Field != tt.field {
				t.Fatalf("%s: %v; want %s at %s every time", tt.body, rej, ReasonSchema, tt.field)
			}
		}
	}
}

// TestUnknownFieldsAccepted: the sender adds fields without notice; a new
// member in any object of any example is kept and still validates.
func TestUnknownFieldsAccepted(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		doc := mustDecode(t, ex.body)
		var objects []map[string]any
		walk(doc, nil, func(_ loc, v any) {
			if m, ok := v.(map[string]any); ok {
				objects = append(objects, m)
			}
		})
		for _, m := range objects {
			m["x_new_field"] = map[string]any{"nested": []any{json.Number("1.50"), nil}}
		}
		n := len(objects)
		ev, rej := normalize(mustEncode(t, doc), Options{Strict: true})
		if rej != nil || !ev.Validated {
			t.Errorf("%s with unknown fields: %v", ex.name, rej)
			continue
		}
		if got := strings.Count(string(ev.Body), `"x_new_field":{"nested":[1.50,null]}`); got != n {
			t.Errorf("%s: %d of %d unknown fields kept in %s", ex.name, got, n, ev.Body)
		}
	}
}

func TestEventAndTimestampRejections(t *testing.T) {
	t.Parallel()
	const base = `{"event":"job_added","timestamp":"2026-01-30T02:05:17.892Z","company":{"id":"c"},"job":{"id":"j"}}`
	tests := []struct {
		body   string
		reason Reason
		field  string
		detail string
	}{
		{`{"timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "missing"},
		{`{"event":null,"timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a string"},
		{`{"event":7,"timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a string"},
		{`{"event":["job_added"],"timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a string"},
		{`{"event":{"type":"job_added"},"timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a string"},
		{`{"event":"","timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a valid event name"},
		{`{"event":"job added","timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a valid event name"},
		{`{"event":"hirempire.>","timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "not a valid event name"},
		{`{"event":"` + strings.Repeat("x", 500) + `","timestamp":"2026-01-30T02:05:17.892Z"}`, ReasonBadEvent, "/event", "..."},
		// The event is checked before the timestamp.
		{`{"event":"a b"}`, ReasonBadEvent, "/event", "not a valid event name"},
		{`{"event":"job_added"}`, ReasonBadTimestamp, "/timestamp", "missing"},
		{`{"event":"job_added","timestamp":null}`, ReasonBadTimestamp, "/timestamp", "not an RFC 3339"},
		{`{"event":"job_added","timestamp":true}`, ReasonBadTimestamp, "/timestamp", "not an RFC 3339"},
		{`{"event":"job_added","timestamp":{}}`, ReasonBadTimestamp, "/timestamp", "not an RFC 3339"},
		{`{"event":"job_added","timestamp":"2026-01-30"}`, ReasonBadTimestamp, "/timestamp", "not an RFC 3339"},
		{`{"event":"job_added","timestamp":"garbage"}`, ReasonBadTimestamp, "/timestamp", "not an RFC 3339"},
		{`{"event":"job_added","timestamp":"0000-06-01T00:00:00Z"}`, ReasonBadTimestamp, "/timestamp", "0001 to 9999"},
		{`{"event":"job_added","timestamp":1e-999999}`, ReasonBadTimestamp, "/timestamp", "too large an exponent"},
		// Timestamps are checked before the schema, and in unknown types too.
		{`{"event":"job_added","timestamp":"garbage","job":"not an object"}`, ReasonBadTimestamp, "/timestamp", ""},
		{`{"event":"new_type","timestamp":"garbage"}`, ReasonBadTimestamp, "/timestamp", ""},
		{`{"event":"meeting_booked","timestamp":"2026-01-30T05:45:22.118Z","company":{"id":"c"},"meeting":{"id":"m","scheduled_at":"next week"}}`, ReasonBadTimestamp, "/meeting/scheduled_at", "not an RFC 3339"},
		{`{"event":"meeting_booked","timestamp":"2026-01-30T05:45:22.118Z","company":{"id":"c"},"meeting":{"id":"m","scheduled_at":false}}`, ReasonBadTimestamp, "/meeting/scheduled_at", ""},
		{`{"event":"interview.scheduled","timestamp":"2026-01-30T05:45:22.118Z","meeting":{"scheduled_at":"2026-02-05"}}`, ReasonBadTimestamp, "/meeting/scheduled_at", ""},
	}
	if _, rej := normalize([]byte(base), Options{Strict: true}); rej != nil {
		t.Fatalf("base event: %v", rej)
	}
	for _, tt := range tests {
		ev, rej := normalize([]byte(tt.body), Options{})
		if rej == nil {
			t.Errorf("%.80s: accepted as %s", tt.body, ev.Name)
			continue
		}
		if rej.Reason != tt.reason || rej.Field != tt.field || !strings.Contains(rej.Detail, tt.detail) || rej.Malformed() {
			t.Errorf("%.80s: %+v; want %s at %s, detail with %q", tt.body, rej, tt.reason, tt.field, tt.detail)
		}
	}
}

func TestUnknownTypes(t *testing.T) {
	t.Parallel()
	body := []byte(`{"event":"Candidate.Hired","timestamp":"2026-06-01T09:00:00+02:00","candidate":{"id":"cand_1"},"job":"not an object"}`)

	// Published, unvalidated, when strict mode is off: there is no schema
	// to hold a new type to.
	ev, rej := normalize(body, Options{})
	if rej != nil {
		t.Fatalf("unknown type rejected without strict mode: %v", rej)
	}
	if ev.Validated || ev.Name != "candidate.hired" || ev.Key != "cand_1" || ev.Time != "2026-06-01T07:00:00.000Z" || len(ev.ID) != 32 {
		t.Errorf("unknown type: %+v", ev)
	}

	// Refused in strict mode, naming the event member.
	_, rej = normalize(body, Options{Strict: true})
	if rej == nil || rej.Reason != ReasonUnknownType || rej.Field != "/event" || rej.Malformed() ||
		!strings.Contains(rej.Detail, `"candidate.hired"`) {
		t.Errorf("unknown type in strict mode: %+v; want %s at /event", rej, ReasonUnknownType)
	}

	// Strict mode does not turn a bad name into an unknown type.
	_, rej = normalize([]byte(`{"event":"a*","timestamp":"2026-06-01T09:00:00Z"}`), Options{Strict: true})
	if rej == nil || rej.Reason != ReasonBadEvent {
		t.Errorf("bad name in strict mode: %v; want %s", rej, ReasonBadEvent)
	}
}

func TestRejectionError(t *testing.T) {
	t.Parallel()
	r := &Rejection{Reason: ReasonSchema, Field: "/job/id", Detail: "job_added: /job/id got number, want string"}
	if got, want := r.Error(), "schema_violation at /job/id: job_added: /job/id got number, want string"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	r = &Rejection{Reason: ReasonNotJSON, Detail: "the body is empty"}
	if got, want := r.Error(), "invalid_json: the body is empty"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	// Several problems: the first one as above, then each other's detail.
	r = rejection([]Problem{
		{ReasonBadTimestamp, "/timestamp", "the timestamp member is missing"},
		{ReasonSchema, "/company", "job_added requires /company"},
		{ReasonSchema, "/job/id", "job_added: /job/id got number, want string"},
	}, 0)
	if got, want := r.Error(), "invalid_timestamp at /timestamp: the timestamp member is missing; job_added requires /company; job_added: /job/id got number, want string"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	r.More = 1
	if got, want := r.Error(), "invalid_timestamp at /timestamp: the timestamp member is missing; job_added requires /company; job_added: /job/id got number, want string; and 1 more problem"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	r = &Rejection{Reason: ReasonSchema, Field: "/job/id", Detail: "job_added: /job/id got number, want string", More: 12}
	if got, want := r.Error(), "schema_violation at /job/id: job_added: /job/id got number, want string; and 12 more problems"; got != want {
		t.Errorf("Error() = %q; want %q", got, want)
	}
	for reason, malformed := range map[Reason]bool{
		ReasonNotJSON: true, ReasonNotObject: true,
		ReasonBadEvent: false, ReasonBadTimestamp: false, ReasonSchema: false, ReasonUnknownType: false,
	} {
		if got := (&Rejection{Reason: reason}).Malformed(); got != malformed {
			t.Errorf("Rejection{%s}.Malformed() = %v; want %v", reason, got, malformed)
		}
	}
}

func TestPointerEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		tokens []string
		want   string
	}{
		{nil, "/"},
		{[]string{"job", "id"}, "/job/id"},
		{[]string{"a/b", "c~d", "0"}, "/a~1b/c~0d/0"},
		{[]string{"~1"}, "/~01"},
		{[]string{""}, "/"},
	}
	for _, tt := range tests {
		if got := pointer(tt.tokens); got != tt.want {
			t.Errorf("pointer(%q) = %q; want %q", tt.tokens, got, tt.want)
		}
	}
}

func mustRead(t testing.TB, name string) []byte {
	t.Helper()
	for _, ex := range examples(t) {
		if ex.name == name {
			return ex.body
		}
	}
	t.Fatalf("no example %s", name)
	return nil
}

// A rejection says which event it was, once the name was valid, so callers
// need not look into the document Normalize rewrote.
func TestRejectionNamesTheEvent(t *testing.T) {
	t.Parallel()
	for body, want := range map[string]string{
		`{"event":" JOB_ADDED ","timestamp":"2026-01-30T02:05:17Z"}`: "job_added",
		`{"event":"job_added","timestamp":"never"}`:                  "job_added",
		`{"event":"job.*","timestamp":"2026-01-30T02:05:17Z"}`:       "",
		`{"event":"dlq","timestamp":"2026-01-30T02:05:17Z"}`:         "",
	} {
		_, rej := normalize([]byte(body), Options{})
		if rej == nil {
			t.Fatalf("%s accepted", body)
		}
		if rej.Event != want {
			t.Errorf("%s: rejection names event %q, want %q", body, rej.Event, want)
		}
	}
}
