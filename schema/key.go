package schema

import "strings"

// Paths of the ids an entity key may come from, most specific first.
var (
	jobKeyPaths       = [][2]string{{"job", "id"}}
	applicantKeyPaths = [][2]string{{"applicant", "id"}, {"meeting", "id"}}
	fallbackKeyPaths  = [][2]string{{"applicant", "id"}, {"candidate", "id"}, {"job", "id"}, {"meeting", "id"}, {"", "id"}}
)

// entityKey names what an event is about, so that events about one
// candidate or one job share a partition and stay in order: job.id for job_*
// types; applicant.id (then meeting.id) for applicant_applied,
// cv_upload_completed and meeting_booked; for other types the first present
// of applicant.id, candidate.id, job.id, meeting.id, id; otherwise eventID.
//
// The fallback list is for other types only, as the message contract
// contract scopes it: a job_* event without a job.id is keyed by its own
// id, never by an applicant's: a key is always the entity its type is
// about, or no entity at all.
func (t *tree) entityKey(name, eventID string) string {
	paths := fallbackKeyPaths
	switch {
	case strings.HasPrefix(name, "job_"):
		paths = jobKeyPaths
	case name == "applicant_applied", name == "cv_upload_completed", name == "meeting_booked":
		paths = applicantKeyPaths
	}
	for _, p := range paths {
		id := t.memberOf(0, p[0], p[1])
		if id < 0 {
			continue
		}
		// Ids are opaque strings; a number is taken by its exact text.
		switch t.nodes[id].kind {
		case '"':
			if s := t.str(id); len(s) > 0 {
				return string(s)
			}
		case '0':
			return string(t.number(id))
		}
	}
	return eventID
}
