package events_test

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hirebridge/hirebridge/schema/events"
)

// One call from a received message to its typed event: the name may be the
// subject or topic, the ce-type header or the bare type.
func ExampleDecode() {
	subject := "hirempire.job_added"
	body := []byte(`{"company":{"id":"comp_1","name":"Acme Corp"},"event":"job_added",` +
		`"job":{"id":"job_1","title":"Backend Engineer","hide_salary":false},"timestamp":"2026-01-30T02:05:17.892Z"}`)
	ev, err := events.Decode(subject, body)
	if err != nil {
		fmt.Println(err)
		return
	}
	switch ev := ev.(type) {
	case *events.JobEvent:
		fmt.Println(ev.Event, ev.Job.ID, ev.Job.Title, ev.Company.Name, ev.Timestamp.Format("15:04:05.000"))
	case *events.ApplicantEvent, *events.MeetingEvent:
		fmt.Println("another kind of event")
	}

	// Dead letters and undocumented types are told apart, to be skipped.
	_, err = events.Decode("hirempire.dlq", []byte("not json"))
	fmt.Println(errors.Is(err, events.ErrDeadLetter))
	_, err = events.Decode("com.hirempire.note_added", []byte(`{"event":"note_added"}`))
	fmt.Println(errors.Is(err, events.ErrUnknownType))
	// Output:
	// job_added job_1 Backend Engineer Acme Corp 02:05:17.892
	// true
	// true
}

// A consumer decodes the published body into the typed event for its
// subject, here hirempire.applicant_applied.
func ExampleApplicantEvent() {
	published := []byte(`{"applicant":{"ai_evaluation":{"decision":"Shortlist","linkedin_match":true,"score":85},` +
		`"email":"john.doe@example.com","id":"app_1","name":"John Doe","years_of_experience":6.50},` +
		`"company":{"company":"Acme Corp","id":"comp_1","name":"Acme Corp"},"event":"applicant_applied",` +
		`"job":{"id":"job_1","title":"Backend Engineer"},"timestamp":"2026-01-30T00:14:56.395Z"}`)
	var ev events.ApplicantEvent
	if err := json.Unmarshal(published, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Timestamp.Format("2006-01-02 15:04:05.000 MST"))
	fmt.Println(ev.Company.Name, "/", ev.Job.Title)
	fmt.Println(ev.Applicant.Name, ev.Applicant.YearsOfExperience, "years")
	if ai := ev.Applicant.AIEvaluation; ai != nil {
		fmt.Println(ai.Decision, ai.Score, *ai.LinkedInMatch)
	}
	// Output:
	// 2026-01-30 00:14:56.395 UTC
	// Acme Corp / Backend Engineer
	// John Doe 6.50 years
	// Shortlist 85 true
}

func ExampleMeetingEvent() {
	published := []byte(`{"company":{"id":"comp_1","name":"Acme Corp"},"event":"meeting_booked",` +
		`"meeting":{"duration_minutes":30,"id":"mtg_1","scheduled_at":"2026-02-05T10:00:00.000Z"},` +
		`"timestamp":"2026-01-30T05:45:22.118Z"}`)
	var ev events.MeetingEvent
	if err := json.Unmarshal(published, &ev); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Meeting.ID, ev.Meeting.ScheduledAt.Format("Mon 2 Jan 15:04 MST"), ev.Meeting.DurationMinutes, "min")
	fmt.Println("applicant given:", ev.Applicant != nil)
	// Output:
	// mtg_1 Thu 5 Feb 10:00 UTC 30 min
	// applicant given: false
}
