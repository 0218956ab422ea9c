package events

// What the bridge names, as its defaults have it: subjects and topics are
// <prefix>.<type>, the NATS stream captures <prefix>.>.
const (
	DefaultPrefix = "hirempire"
	DefaultStream = "HIREMPIRE"
	// DeadLetters is the last part of the dead letters' subject or topic.
	DeadLetters = "dlq"
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

// Headers names the CloudEvents attributes and the bridge's own headers as
// one broker's binding spells them.
type Headers struct {
	SpecVersion, ID, Source, Type, Time, Subject, DataContentType string
	// DataSchema is the $id of the type's JSON Schema, on documented types.
	DataSchema string
	// Validated is "false" on events of undocumented types.
	Validated string
	// Reason and Detail say why a dead letter was rejected.
	Reason, Detail string
}

var (
	// NATS is the CloudEvents NATS binding: ce-<attribute>, values
	// percent-encoded (see natsjs.DecodeAttribute, or any conforming
	// decoder).
	NATS = Headers{
		SpecVersion: "ce-specversion", ID: "ce-id", Source: "ce-source", Type: "ce-type",
		Time: "ce-time", Subject: "ce-subject", DataContentType: "ce-datacontenttype", DataSchema: "ce-dataschema",
		Validated: "hirebridge-validated", Reason: "hirebridge-reason", Detail: "hirebridge-detail",
	}
	// Kafka is the CloudEvents Kafka binding: ce_<attribute>, UTF-8 values;
	// datacontenttype is content-type.
	Kafka = Headers{
		SpecVersion: "ce_specversion", ID: "ce_id", Source: "ce_source", Type: "ce_type",
		Time: "ce_time", Subject: "ce_subject", DataContentType: "content-type", DataSchema: "ce_dataschema",
		Validated: "hirebridge-validated", Reason: "hirebridge-reason", Detail: "hirebridge-detail",
	}
)

// Subject is the NATS subject or Kafka topic of one event type.
func Subject(prefix, eventType string) string { return prefix + "." + eventType }
