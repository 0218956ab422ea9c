package asyncapi

import (
	"regexp"
	"strconv"
	"strings"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
)

// binding is what differs between the brokers: the header names of the
// CloudEvents protocol binding, how values are written, the broker's own
// headers, and AsyncAPI's bindings objects.
type binding struct {
	server  string // the servers key, also the ids' prefix
	broker  string // for prose
	names   events.Headers
	encoded string // how attribute values are written, for prose
	// extra are the broker's own headers on every message, besides the
	// CloudEvents attributes and the bridge's headers.
	extra func(id string) (props obj, names []string)
	kafka bool
}

var natsBinding = binding{
	server:  natsServer,
	broker:  "NATS JetStream",
	names:   events.NATS,
	encoded: " Percent-encoded, as the CloudEvents NATS binding 1.0.3 asks: a space, '\"', '%' and every byte outside printable ASCII are %XX of their UTF-8 bytes; decode before use.",
	extra: func(id string) (obj, []string) {
		return obj{}.
			set("Nats-Msg-Id", str(id)).
			set("Nats-Expected-Stream", str("The stream the bridge publishes to: HIREBRIDGE_NATS_STREAM, "+events.DefaultStream+" by default.")), []string{"Nats-Msg-Id", "Nats-Expected-Stream"}
	},
}

var kafkaBinding = binding{
	server:  kafkaServer,
	broker:  "Kafka",
	names:   events.Kafka,
	encoded: " UTF-8 as it is.",
	extra:   func(string) (obj, []string) { return nil, nil },
	kafka:   true,
}

func (b binding) channel(id, address, title, description string, params obj, message string) obj {
	c := obj{}.
		set("address", address).
		set("title", title+" ("+b.broker+")").
		set("description", description).
		set("servers", []any{ref("#/servers/" + b.server)}).
		set("parameters", params).
		set("messages", obj{}.set(message, ref("#/components/messages/"+id)))
	if b.kafka {
		// The topic is the address; partitions and replicas are the
		// operator's (HIREBRIDGE_KAFKA_PARTITIONS and _REPLICATION_FACTOR
		// when the bridge creates the topic), so they are not promised here.
		c = c.set("bindings", obj{}.set("kafka", obj{}.set("bindingVersion", kafkaBindingVersion)))
	}
	return c
}

func (b binding) operation(channel, message, summary string) obj {
	o := obj{}.
		set("action", "receive").
		set("channel", ref("#/channels/"+channel)).
		set("summary", summary).
		set("messages", []any{ref("#/channels/" + channel + "/messages/" + message)})
	if b.kafka {
		return o.set("bindings", obj{}.set("kafka", obj{}.
			set("groupId", obj{}.set("type", "string").set("description", "The consumer's own group: the bridge prescribes none.")).
			set("bindingVersion", kafkaBindingVersion)))
	}
	// No queue group is prescribed: each consumer picks its own, or none.
	return o.set("bindings", obj{}.set("nats", obj{}.set("bindingVersion", natsBindingVersion)))
}

const eventID = "The event id: the first 128 bits of the SHA-256 of the normalized body, in hex. The same event sent again has the same id; dedupe on it."

// attributes are the CloudEvents headers of an event; dataschema only for
// documented types.
func (b binding) attributes(ceType obj, subject, dataSchema string) (obj, []string) {
	n := b.names
	props := obj{}.
		set(n.SpecVersion, obj{}.set("type", "string").set("const", events.SpecVersion).set("description", "CloudEvents specversion.")).
		set(n.ID, obj{}.set("type", "string").set("pattern", "^[0-9a-f]{32}$").set("description", eventID)).
		set(n.Source, str("CloudEvents source: the source's own in HIREBRIDGE_SOURCES_FILE, else HIREBRIDGE_EVENT_SOURCE, https://app.hirempire.com by default."+b.encoded)).
		set(n.Type, ceType).
		set(n.Time, obj{}.set("type", "string").set("format", "date-time").set("description", "CloudEvents time: the body's normalized timestamp, UTC with milliseconds.")).
		set(n.Subject, str("CloudEvents subject, the entity key: "+subject+"."+b.encoded))
	required := []string{n.SpecVersion, n.ID, n.Source, n.Type, n.Time, n.Subject}
	if dataSchema != "" {
		props = props.set(n.DataSchema, obj{}.set("type", "string").set("const", dataSchema).set("description", "CloudEvents dataschema: the $id of the payload's JSON Schema."))
		required = append(required, n.DataSchema)
	}
	props = props.set(n.DataContentType, obj{}.set("type", "string").set("const", events.DataContentType).set("description", "CloudEvents datacontenttype."))
	required = append(required, n.DataContentType)
	if n.ContentType != n.DataContentType {
		props = props.set(n.ContentType, obj{}.set("type", "string").set("const", events.DataContentType).set("description", "datacontenttype again, for clients that know only content-type."))
		required = append(required, n.ContentType)
	}
	extra, extraNames := b.extra(eventID + " JetStream drops a copy within the stream's duplicate window.")
	props = append(props, extra...)
	required = append(required, extraNames...)
	props = props.set(n.SourceName, sourceHeader())
	required = append(required, n.SourceName)
	return append(props, traceHeaders()...), required
}

// sourceHeader is on every message: events and dead letters alike.
func sourceHeader() obj {
	return obj{}.set("type", "string").set("pattern", events.SourceNamePattern).set("description",
		"The source the webhook came from, decided by the token it presented: the name of its entry in HIREBRIDGE_SOURCES_FILE, or default with HIREBRIDGE_WEBHOOK_TOKEN.")
}

func traceHeaders() obj {
	return obj{}.
		set(events.HeaderTraceParent, str("W3C trace context of the webhook request, copied when it had one.")).
		set(events.HeaderTraceState, str("W3C trace state of the webhook request, copied with its "+events.HeaderTraceParent+"."))
}

func (b binding) eventMessage(t eventType) obj {
	props, required := b.attributes(
		obj{}.set("type", "string").set("const", events.CloudEventsType(t.name)).set("description", "CloudEvents type."),
		t.key, t.schemaID)
	m := obj{}.
		set("name", b.server+t.title).
		set("title", t.title+" ("+b.broker+")").
		set("summary", t.description).
		set("contentType", events.DataContentType).
		set("headers", headers(props, required)).
		set("payload", ref("#/components/schemas/"+t.title))
	if b.kafka {
		m = m.set("bindings", kafkaKey("The entity key: "+t.key+". Events about one job or one candidate share a partition and stay in order."))
	}
	return m
}

func (b binding) undocumentedMessage() obj {
	props, required := b.attributes(
		obj{}.set("type", "string").set("pattern", "^"+regexp.QuoteMeta(events.CloudEventsTypePrefix)).set("description", "CloudEvents type: "+events.CloudEventsType("<event>")+"."),
		"the first present of applicant.id, candidate.id, job.id, meeting.id, id; otherwise the event id", "")
	props = props.set(b.names.Validated, obj{}.set("type", "string").set("const", "false").set("description", "No schema vouched for this event: its type is not documented."))
	required = append(required, b.names.Validated)
	m := obj{}.
		set("name", b.server+undocumented).
		set("title", "An event of an undocumented type ("+b.broker+")").
		set("summary", "An event of a type Hirempire has not documented: checked as I-JSON with a valid event name and timestamp, normalized, not validated against a schema.").
		set("contentType", events.DataContentType).
		set("headers", headers(props, required)).
		set("payload", ref("#/components/schemas/"+undocumented+"Event"))
	if b.kafka {
		m = m.set("bindings", kafkaKey("The entity key, as the subject attribute."))
	}
	return m
}

func (b binding) deadLetterMessage() obj {
	n := b.names
	var reasonCodes []any
	for _, r := range events.DeadLetterReasons() {
		reasonCodes = append(reasonCodes, r)
	}
	undeliverable := events.ReasonUndeliverable
	props := obj{}.
		set(n.Reason, obj{}.set("type", "string").set("enum", reasonCodes).set("description",
			"Why the body was rejected: the error code the sender was answered with. "+undeliverable+
				" is a valid event the broker refused for good (a subject or topic the bridge may not write, a topic it would not create, a policy): the sender was answered 202 dead_lettered, and the "+events.HeaderOriginalPrefix+"* headers keep the message it was.")).
		set(n.Detail, str("What is wrong and where (JSON pointers): every problem found, up to "+strconv.Itoa(schema.MaxProblems)+", then how many more, as the sender was answered; for "+undeliverable+", the broker's words.")).
		set(events.HeaderContentType, str("The Content-Type of the webhook request; empty when it had none. "+events.DataContentType+" on "+undeliverable+".")).
		set(events.HeaderOriginalTopic, str("On "+undeliverable+" only: the subject or topic the event was refused on. Every part of the refused message is kept likewise: "+
			events.HeaderOriginalID+", "+events.HeaderOriginalKey+", "+events.HeaderOriginalAttributePrefix+"<attribute> and "+events.HeaderOriginalPrefix+"<header>, values percent-encoded as the CloudEvents NATS binding does; `hirebridge replay` publishes it again from them.")).
		set(events.HeaderOriginalID, str("On "+undeliverable+" only: the refused event's id."))
	props = props.set(n.SourceName, sourceHeader())
	required := []string{n.Reason, n.Detail, events.HeaderContentType, n.SourceName}
	extra, extraNames := b.extra(deadLetterIDPrefix() + " and the SHA-256 content id of the body: a sender's retries of the same rejected bytes are stored once within the duplicate window (" +
		events.UndeliverableID("") + " and the event id for an event the broker refused).")
	props = append(props, extra...)
	required = append(required, extraNames...)
	props = append(props, traceHeaders()...)
	m := obj{}.
		set("name", b.server+deadLetters).
		set("title", "A rejected body ("+b.broker+")").
		set("summary", "A body the bridge rejected, as it was received. Not a CloudEvent: no ce- headers.").
		set("contentType", "application/octet-stream").
		set("headers", headers(props, required)).
		set("payload", ref("#/components/schemas/"+deadLetters+"Body"))
	if b.kafka {
		// Keyless: dead letters have no entity to keep in order, and
		// spread over the partitions at random.
		m = m.set("bindings", obj{}.set("kafka", obj{}.set("bindingVersion", kafkaBindingVersion)))
	}
	return m
}

// deadLetterIDPrefix is what a rejected body's dead-letter id has before
// the body's content id.
func deadLetterIDPrefix() string {
	return strings.TrimSuffix(events.DeadLetterID(nil), events.ContentID(nil))
}

func headers(props obj, required []string) obj {
	req := make([]any, len(required))
	for i, r := range required {
		req[i] = r
	}
	return obj{}.set("type", "object").set("required", req).set("properties", props)
}

func kafkaKey(description string) obj {
	return obj{}.set("kafka", obj{}.
		set("key", obj{}.set("type", "string").set("description", description)).
		set("bindingVersion", kafkaBindingVersion))
}

func str(description string) obj {
	return obj{}.set("type", "string").set("description", description)
}

func deadLetterPayload() obj {
	return obj{}.
		set("title", deadLetters+"Body").
		set("description", "The body exactly as it was received: any bytes, not necessarily JSON or UTF-8; the request's Content-Type is in hirebridge-content-type.")
}
