package events

// CloudEvents 1.0 in binary content mode: the attribute values every event
// shares.
const (
	SpecVersion     = "1.0"
	DataContentType = "application/json"
)

// Headers the bridge adds as they are, spelled the same on both brokers.
const (
	// HeaderValidated is "false" on events of undocumented types: no
	// schema vouched for them.
	HeaderValidated = "hirebridge-validated"
	// HeaderSource names the source an event came from (a Hirempire
	// workspace, or a customer), decided by the token its webhook
	// presented; "default" where HIREBRIDGE_WEBHOOK_TOKEN is the only
	// source. Dead letters carry it too.
	HeaderSource = "hirebridge-source"
	// SourceNamePattern is what a source's name may be: a metric label and
	// a header value that nothing has to escape.
	SourceNamePattern = `^[a-z0-9][a-z0-9_-]{0,62}$`
	// HeaderTraceParent and HeaderTraceState are the sender's W3C trace
	// context, copied from the webhook request when it had one, so a
	// consumer's span joins the sender's trace.
	HeaderTraceParent = "traceparent"
	HeaderTraceState  = "tracestate"
)

// Headers names the CloudEvents attributes and the bridge's own headers as
// one broker's binding spells them.
type Headers struct {
	// AttributePrefix starts the header of each CloudEvents attribute:
	// ce- on NATS, ce_ on Kafka.
	AttributePrefix                                               string
	SpecVersion, ID, Source, Type, Time, Subject, DataContentType string
	// DataSchema is the $id of the type's JSON Schema, on documented types.
	DataSchema string
	// ContentType repeats datacontenttype for clients that know only
	// content-type; on Kafka it is DataContentType itself.
	ContentType string
	// Validated is "false" on events of undocumented types.
	Validated string
	// SourceName is hirebridge-source, the name of the source the webhook
	// came from (not the CloudEvents source, which is Source).
	SourceName string
	// Reason and Detail say why a dead letter was rejected.
	Reason, Detail string
}

var (
	// NATS is the CloudEvents NATS binding: ce-<attribute>, values
	// percent-encoded (see natsjs.DecodeAttribute, or any conforming
	// decoder).
	NATS = Headers{
		AttributePrefix: "ce-",
		SpecVersion:     "ce-specversion", ID: "ce-id", Source: "ce-source", Type: "ce-type",
		Time: "ce-time", Subject: "ce-subject", DataContentType: "ce-datacontenttype", DataSchema: "ce-dataschema",
		ContentType: "content-type",
		Validated:   HeaderValidated, Reason: HeaderReason, Detail: HeaderDetail,
		SourceName: HeaderSource,
	}
	// Kafka is the CloudEvents Kafka binding: ce_<attribute>, UTF-8 values;
	// datacontenttype is content-type.
	Kafka = Headers{
		AttributePrefix: "ce_",
		SpecVersion:     "ce_specversion", ID: "ce_id", Source: "ce_source", Type: "ce_type",
		Time: "ce_time", Subject: "ce_subject", DataContentType: "content-type", DataSchema: "ce_dataschema",
		ContentType: "content-type",
		Validated:   HeaderValidated, Reason: HeaderReason, Detail: HeaderDetail,
		SourceName: HeaderSource,
	}
)
