package schema

import (
	"encoding/json"
	"strings"
)

// Paths of the ids an entity key may come from, most specific first.
var (
	jobKeyPaths       = [][2]string{{"job", "id"}}
	applicantKeyPaths = [][2]string{{"applicant", "id"}, {"meeting", "id"}}
	fallbackKeyPaths  = [][2]string{{"applicant", "id"}, {"candidate", "id"}, {"job", "id"}, {"meeting", "id"}, {"", "id"}}
)

// EntityKey names what an event is about, so that events about one
// candidate or one job share a partition and stay in order: job.id for job_*
// types; applicant.id (then meeting.id) for applicant_applied,
// cv_upload_completed and meeting_booked; for other types the first present
// of applicant.id, candidate.id, job.id, meeting.id, id; otherwise eventID.
//
// The fallback list is for other types only, as the README's message contract scopes it: a job_*
// event without a job.id is keyed by its own id, never by an applicant's:
// a key is always the entity its type is about, or no entity at all.
func EntityKey(name string, doc Document, eventID string) string {
	paths := fallbackKeyPaths
	switch {
	case strings.HasPrefix(name, "job_"):
		paths = jobKeyPaths
	case name == "applicant_applied", name == "cv_upload_completed", name == "meeting_booked":
		paths = applicantKeyPaths
	}
	if key, ok := firstID(doc, paths); ok {
		return key
	}
	return eventID
}

func firstID(doc Document, paths [][2]string) (string, bool) {
	for _, p := range paths {
		obj := map[string]any(doc)
		if p[0] != "" {
			var ok bool
			if obj, ok = doc[p[0]].(map[string]any); !ok {
				continue
			}
		}
		// Ids are opaque strings; a number is taken by its exact text.
		switch id := obj[p[1]].(type) {
		case string:
			if id != "" {
				return id, true
			}
		case json.Number:
			return string(id), true
		}
	}
	return "", false
}
