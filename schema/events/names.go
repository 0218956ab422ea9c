package events

// What the bridge names, as its defaults have it: subjects and topics are
// <prefix>.<type>, the NATS stream captures <prefix>.>.
const (
	DefaultPrefix = "hirempire"
	DefaultStream = "HIREMPIRE"
	// CloudEventsTypePrefix starts the ce-type of every event:
	// com.hirempire.<type>.
	CloudEventsTypePrefix = "com.hirempire."
)

// The documented event types.
const (
	JobAdded          = "job_added"
	JobActivated      = "job_activated"
	JobDeactivated    = "job_deactivated"
	JobDeleted        = "job_deleted"
	ApplicantApplied  = "applicant_applied"
	CVUploadCompleted = "cv_upload_completed"
	MeetingBooked     = "meeting_booked"
)

// Subject is the NATS subject or Kafka topic of one event type.
func Subject(prefix, eventType string) string { return prefix + "." + eventType }

// CloudEventsType is the ce-type of events of one type:
// com.hirempire.<type>.
func CloudEventsType(eventType string) string { return CloudEventsTypePrefix + eventType }
