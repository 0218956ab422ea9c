package schema

import (
	"testing"
)

func TestEntityKey(t *testing.T) {
	t.Parallel()
	const eventID = "00112233445566778899aabbccddeeff"
	tests := []struct {
		name, doc, want string
	}{
		// job_*: job.id, whatever else the event holds.
		{"job_added", `{"job":{"id":"job_1"},"applicant":{"id":"app_1"},"id":"top"}`, "job_1"},
		{"job_deleted", `{"job":{"id":"job_1"}}`, "job_1"},
		{"job_updated", `{"job":{"id":"job_1"},"candidate":{"id":"cand_1"}}`, "job_1"},
		{"job_added", `{"job":{"id":12345}}`, "12345"},
		// A job_* event without a job.id has no entity the contract names for
		// it: the event id, not some other object's id.
		{"job_updated", `{"applicant":{"id":"app_1"},"meeting":{"id":"mtg_1"},"id":"top"}`, eventID},
		{"job_updated", `{"job":{"id":""},"id":"top"}`, eventID},
		{"job_updated", `{"job":"job_1"}`, eventID},
		// Applicant types: applicant.id, then meeting.id.
		{"applicant_applied", `{"applicant":{"id":"app_1"},"job":{"id":"job_1"},"meeting":{"id":"mtg_1"}}`, "app_1"},
		{"cv_upload_completed", `{"applicant":{"id":"app_1"},"job":{"id":"job_1"}}`, "app_1"},
		{"meeting_booked", `{"applicant":{"id":"app_1"},"meeting":{"id":"mtg_1"}}`, "app_1"},
		{"meeting_booked", `{"meeting":{"id":"mtg_1"},"job":{"id":"job_1"}}`, "mtg_1"},
		{"meeting_booked", `{"applicant":{"id":""},"meeting":{"id":"mtg_1"}}`, "mtg_1"},
		{"meeting_booked", `{"applicant":{"id":null},"meeting":{"id":"mtg_1"}}`, "mtg_1"},
		{"meeting_booked", `{"applicant":{"name":"John"},"meeting":{"id":"mtg_1"}}`, "mtg_1"},
		{"meeting_booked", `{"applicant":{"id":42},"meeting":{"id":"mtg_1"}}`, "42"},
		{"applicant_applied", `{"job":{"id":"job_1"},"candidate":{"id":"cand_1"},"id":"top"}`, eventID},
		{"cv_upload_completed", `{"applicant":{"id":true},"job":{"id":"job_1"}}`, eventID},
		// Other types: the first present of applicant.id, candidate.id,
		// job.id, meeting.id, id.
		{"candidate.hired", `{"id":"top","meeting":{"id":"mtg_1"},"job":{"id":"job_1"},"candidate":{"id":"cand_1"},"applicant":{"id":"app_1"}}`, "app_1"},
		{"candidate.hired", `{"id":"top","meeting":{"id":"mtg_1"},"job":{"id":"job_1"},"candidate":{"id":"cand_1"}}`, "cand_1"},
		{"requisition.approved", `{"id":"top","meeting":{"id":"mtg_1"},"job":{"id":"job_1"}}`, "job_1"},
		{"interview.scheduled", `{"id":"top","meeting":{"id":"mtg_1"}}`, "mtg_1"},
		{"ai_prescreen.completed", `{"id":"top"}`, "top"},
		{"new_applicant", `{"applicant":{"id":""},"candidate":{"id":"cand_1"}}`, "cand_1"},
		{"new_applicant", `{"applicant":"app_1","candidate":{"id":"cand_1"}}`, "cand_1"},
		{"new_applicant", `{"applicant":{"id":["app_1"]},"job":{"id":"job_1"}}`, "job_1"},
		{"new_applicant", `{"applicant":{"id":{"value":"app_1"}},"id":"top"}`, "top"},
		// Numeric ids, by their exact text.
		{"new_applicant", `{"id":123456789012345678901234567890}`, "123456789012345678901234567890"},
		{"new_applicant", `{"candidate":{"id":1.50}}`, "1.50"},
		{"new_applicant", `{"id":-0}`, "-0"},
		// Ids are opaque: anything non-empty, as written.
		{"new_applicant", `{"candidate":{"id":"  Cand/1 * > é "}}`, "  Cand/1 * > é "},
		// Nothing to key on: the event id.
		{"new_applicant", `{}`, eventID},
		{"new_applicant", `{"id":""}`, eventID},
		{"new_applicant", `{"id":null,"applicant":null,"job":[],"meeting":{"id":false}}`, eventID},
		{"new_applicant", `{"person":{"id":"p_1"},"ID":"upper"}`, eventID},
	}
	for _, tt := range tests {
		got, err := entityKeyOf(tt.name, tt.doc, eventID)
		if err != nil {
			t.Fatalf("%s: %v", tt.doc, err)
		}
		if got != tt.want {
			t.Errorf("EntityKey(%s, %s) = %q; want %q", tt.name, tt.doc, got, tt.want)
		}
	}
}

// TestEventKeyOfExamples checks Normalize puts the key on the Event: each
// documented example is keyed by the entity the contract names for its type.
func TestEventKeyOfExamples(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"job_added":           "job_kl23mn45op67qr89st",
		"job_activated":       "job_ab12cd34ef56gh78ij",
		"job_deactivated":     "job_ab12cd34ef56gh78ij",
		"job_deleted":         "job_wx01yz23ab45cd67ef",
		"applicant_applied":   "app_xyz789wvu654tsr321",
		"cv_upload_completed": "app_xyz789wvu654tsr321",
		"meeting_booked":      "app_xyz789wvu654tsr321",
	}
	for _, ex := range examples(t) {
		ev := mustNormalize(t, ex.body)
		if w, ok := want[ex.name]; !ok || ev.Key != w {
			t.Errorf("%s: key %q; want %q", ex.name, ev.Key, w)
		}
	}
}

// TestEventKeyFallsBackToID: an event with nothing to key on is keyed by
// its own id, so it still has a stable partition.
func TestEventKeyFallsBackToID(t *testing.T) {
	t.Parallel()
	ev := mustNormalize(t, []byte(`{"event":"ping","timestamp":"2026-01-30T00:14:56Z"}`))
	if ev.Key != ev.ID || len(ev.ID) != 32 {
		t.Errorf("key %q, id %q; want the key to be the id", ev.Key, ev.ID)
	}
}
