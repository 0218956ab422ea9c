package schema

import "github.com/hirebridge/hirebridge/schema/events"

// The typed events live in package events, which consumers import without
// the validator; these names stay for code that already uses them here.
type (
	JobEvent       = events.JobEvent
	ApplicantEvent = events.ApplicantEvent
	MeetingEvent   = events.MeetingEvent
	Company        = events.Company
	Job            = events.Job
	Applicant      = events.Applicant
	Meeting        = events.Meeting
)
