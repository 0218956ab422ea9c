package schema

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"
)

// typedFor returns a new typed event for a documented type.
func typedFor(t *testing.T, name string) any {
	t.Helper()
	switch name {
	case "job_added", "job_activated", "job_deactivated", "job_deleted":
		return new(JobEvent)
	case "applicant_applied", "cv_upload_completed":
		return new(ApplicantEvent)
	case "meeting_booked":
		return new(MeetingEvent)
	}
	t.Fatalf("no typed event for %s", name)
	return nil
}

// TestTypedEventsCoverExamples: every field of every documented example has
// a place in its typed event (decoding refuses unknown fields here), and
// nothing is lost on the way: re-encoding the typed event gives back every
// value of the published body. Null may come back absent.
func TestTypedEventsCoverExamples(t *testing.T) {
	t.Parallel()
	for _, ex := range examples(t) {
		ev := mustNormalize(t, ex.body)
		typed := typedFor(t, ex.name)
		dec := json.NewDecoder(bytes.NewReader(ev.Body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(typed); err != nil {
			t.Errorf("%s: the published body does not decode into %T: %v", ex.name, typed, err)
			continue
		}
		checkRoundTrip(t, ex.name, ev.Body, typed)
	}
}

// TestTypedEventsRoundTripEdgeCases does the same for the edge cases of
// documented types: nulls, number text, unknown fields (which the types
// drop by design, so they are not checked here).
func TestTypedEventsRoundTripEdgeCases(t *testing.T) {
	t.Parallel()
	for name, body := range inputs(t) {
		ev := mustNormalize(t, body)
		if !ev.Validated {
			continue
		}
		typed := typedFor(t, ev.Name)
		if err := json.Unmarshal(ev.Body, typed); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checkRoundTrip(t, name, ev.Body, typed)
	}
}

func checkRoundTrip(t *testing.T, name string, published []byte, typed any) {
	t.Helper()
	again, err := json.Marshal(typed)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	orig, back := mustDecode(t, published), mustDecode(t, again)
	typedType := fmt.Sprintf("%T", typed)
	for _, p := range leaves(orig) {
		want, _ := get(orig, p)
		got, ok := get(back, p)
		if !isDocumented(p) {
			continue // a field the sender did not document: not in the types
		}
		switch {
		case want == nil:
			if ok && got != nil {
				t.Errorf("%s: %s is null but %s gives %#v", name, p, typedType, got)
			}
		case !ok:
			t.Errorf("%s: %s = %#v lost by %s", name, p, want, typedType)
		case p.String() == "/timestamp" || p.String() == "/meeting/scheduled_at":
			w, _ := time.Parse(time.RFC3339Nano, want.(string))
			g, err := time.Parse(time.RFC3339Nano, fmt.Sprint(got))
			if err != nil || !g.Equal(w) {
				t.Errorf("%s: %s = %v; %s gives %v", name, p, want, typedType, got)
			}
		case want != got:
			t.Errorf("%s: %s = %#v; %s gives %#v", name, p, want, typedType, got)
		}
	}
}

// documentedMembers are the members the sender documents, by the name of
// the object holding them, so that edge cases with unknown fields check
// only what the types hold.
var documentedMembers = map[string][]string{
	"":                  {"event", "timestamp", "company", "job", "applicant", "meeting"},
	"company":           {"id", "name", "company"},
	"job":               {"id", "title", "department", "job_country", "career_level", "salary_range", "salary_period", "salary_currency", "hide_salary", "job_type", "workplace_type", "job_description", "sources"},
	"applicant":         {"id", "name", "email", "phone", "linkedin_url", "cv_url", "photo", "source", "nationality", "location", "city", "years_of_experience", "spoken_languages", "ai_evaluation", "special_questions", "media_questions"},
	"spoken_languages":  {"language", "fluency"},
	"ai_evaluation":     {"score", "skill_match", "experience_match", "location_match", "decision", "decision_reason", "linkedin_match", "linkedin_match_score", "linkedin_differences"},
	"special_questions": {"question", "answer"},
	"media_questions":   {"audio_url", "video_url"},
	"meeting":           {"id", "scheduled_at", "duration_minutes", "meeting_type", "meeting_link", "organizer"},
	"organizer":         {"name", "email"},
}

func isDocumented(p loc) bool {
	context := ""
	for _, step := range p {
		member, ok := step.(string)
		if !ok {
			continue
		}
		if !slices.Contains(documentedMembers[context], member) {
			return false
		}
		context = member
	}
	return true
}

// TestTypedEventsDecodePublishedForms: what normalization does for the
// types holds in the typed values, not only in the JSON.
func TestTypedEventsDecodePublishedForms(t *testing.T) {
	t.Parallel()
	var ae ApplicantEvent
	if err := json.Unmarshal(mustNormalize(t, mustRead(t, "applicant_applied")).Body, &ae); err != nil {
		t.Fatal(err)
	}
	if !ae.Timestamp.Equal(documented) || ae.Timestamp.Location() != time.UTC {
		t.Errorf("Timestamp = %v; want %v in UTC", ae.Timestamp, documented)
	}
	if ae.Company.Name != "Acme Corp" || ae.Company.Company != "Acme Corp" {
		t.Errorf("Company = %+v; want the name under both spellings", ae.Company)
	}
	if ae.Applicant.AIEvaluation == nil || ae.Applicant.AIEvaluation.LinkedInMatch == nil || !*ae.Applicant.AIEvaluation.LinkedInMatch {
		t.Errorf("AIEvaluation = %+v; want linkedin_match true", ae.Applicant.AIEvaluation)
	}
	if ae.Applicant.MediaQuestions == nil || ae.Applicant.MediaQuestions.AudioURL != "" {
		t.Errorf("MediaQuestions = %+v; want present with null links", ae.Applicant.MediaQuestions)
	}

	body := []byte(`{"event":"meeting_booked","timestamp":"2026-01-30T06:45:22.118+01:00","company":{"id":"c"},` +
		`"meeting":{"id":"m","scheduled_at":"2026-02-05T11:00:00+01:00","duration_minutes":45.50,"organizer":null}}`)
	var me MeetingEvent
	if err := json.Unmarshal(mustNormalize(t, body).Body, &me); err != nil {
		t.Fatal(err)
	}
	if me.Meeting.ScheduledAt == nil || !me.Meeting.ScheduledAt.Equal(time.Date(2026, 2, 5, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("ScheduledAt = %v; want 2026-02-05T10:00:00Z", me.Meeting.ScheduledAt)
	}
	if me.Meeting.DurationMinutes != "45.50" || me.Meeting.Organizer != nil || me.Job != nil || me.Applicant != nil {
		t.Errorf("Meeting = %+v, job %v, applicant %v", me.Meeting, me.Job, me.Applicant)
	}

	var je JobEvent
	body = []byte(`{"event":"job_added","timestamp":1769732096395,"company":{"id":"c","company":"Globex"},"job":{"id":"j","hide_salary":null,"sources":null}}`)
	if err := json.Unmarshal(mustNormalize(t, body).Body, &je); err != nil {
		t.Fatal(err)
	}
	if !je.Timestamp.Equal(documented) || je.Company.Name != "Globex" || je.Job.HideSalary != nil || je.Job.Sources != nil {
		t.Errorf("JobEvent = %+v", je)
	}
}
