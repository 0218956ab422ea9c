package asyncapi

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hirebridge/hirebridge/schema"
	"github.com/hirebridge/hirebridge/schema/events"
)

// The document's shape, decided once:
//
//   - One channel per broker and event type, restricted to its server: the
//     same address carries different header names on NATS (ce-id,
//     percent-encoded) and Kafka (ce_id), and a code generator should
//     see exactly one message shape per channel.
//   - The prefix is an address parameter, {prefix}, defaulting to
//     hirempire (HIREBRIDGE_TOPIC_PREFIX), so clients generated from the
//     document follow a service configured otherwise.
//   - Payloads are the published JSON Schemas, referenced as relative
//     files (./schemas/<event>.json, and undocumentedSchema for the
//     others), so the document resolves offline and there is one copy of
//     each schema.
//   - Operations are receive: the document is written for consumers.

// Version is the version of the message contract this document describes.
const Version = "1.0.0"

const (
	natsServer  = "nats"
	kafkaServer = "kafka"
	// The binding versions AsyncAPI 3.0 tools know for these brokers.
	natsBindingVersion  = "0.1.0"
	kafkaBindingVersion = "0.5.0"
	// Undocumented is the name of the channel of event types Hirempire has
	// not documented (yet): published unvalidated, on their own address.
	undocumented = "Undocumented"
	deadLetters  = "DeadLetter"
	// prefixParameter stands for the prefix in addresses.
	prefixParameter = "{prefix}"
	// undocumentedSchema is the payload schema of undocumented types,
	// relative to the document: in a directory of its own, so that no
	// event type's name (<event>.json) can take its file, and the schema
	// catalog (schemas/*.json) does not read it as a documented type.
	undocumentedSchema = "./schemas/undocumented/event.json"
)

// entityKeys says, per documented type, where its entity key (CloudEvents
// subject, Kafka record key) comes from, as the message contract (docs/messages.md)
// has it.
var entityKeys = map[string]string{
	events.JobAdded:          "job.id",
	events.JobActivated:      "job.id",
	events.JobDeactivated:    "job.id",
	events.JobDeleted:        "job.id",
	events.ApplicantApplied:  "applicant.id",
	events.CVUploadCompleted: "applicant.id",
	events.MeetingBooked:     "applicant.id when the event names an applicant, otherwise meeting.id",
}

// eventType is one documented type as the catalog publishes it.
type eventType struct {
	name        string // job_added
	title       string // JobAdded: the schema's title, fit for a type name
	description string // the schema's description
	schemaID    string // its $id: the messages' dataschema
	key         string // where the entity key comes from
}

func documentedTypes() ([]eventType, error) {
	var out []eventType
	for _, name := range schema.KnownTypes() {
		raw, ok := schema.SchemaJSON(name)
		id, idOK := schema.SchemaID(name)
		if !ok || !idOK {
			return nil, fmt.Errorf("%s: no published schema", name)
		}
		var doc struct {
			ID          string `json:"$id"`
			Title       string `json:"title"`
			Description string `json:"description"`
		}
		if err := json.Unmarshal(raw, &doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		key, ok := entityKeys[name]
		if !ok {
			return nil, fmt.Errorf("%s: no entity key described for it", name)
		}
		if doc.ID != id || doc.Title == "" || doc.Description == "" {
			return nil, fmt.Errorf("%s: schema $id %q (want %q), title %q, description %q", name, doc.ID, id, doc.Title, doc.Description)
		}
		out = append(out, eventType{name: name, title: doc.Title, description: doc.Description, schemaID: id, key: key})
	}
	return out, nil
}

// Generate returns schema/asyncapi.yaml as it should be now.
func Generate() ([]byte, error) {
	types, err := documentedTypes()
	if err != nil {
		return nil, err
	}
	var channels, operations, messages, schemas obj
	for _, b := range []binding{natsBinding, kafkaBinding} {
		for _, t := range types {
			id := b.server + t.title
			channels = channels.set(id, b.channel(id, events.Subject(prefixParameter, t.name), t.title, t.description, obj{}.set("prefix", ref("#/components/parameters/prefix")), t.title))
			operations = operations.set("receive"+upper(id), b.operation(id, t.title, "Receive "+t.name+" events from "+b.broker+"."))
			messages = messages.set(id, b.eventMessage(t))
		}
		id := b.server + undocumented
		channels = channels.set(id, b.channel(id, events.Subject(prefixParameter, "{event}"), "Undocumented event types",
			"Events of types Hirempire has not documented (new or renamed ones), published unvalidated with hirebridge-validated: false rather than dropped, each on its own address. "+
				"Not published when HIREBRIDGE_STRICT is true (they are dead letters then).",
			obj{}.set("prefix", ref("#/components/parameters/prefix")).set("event", ref("#/components/parameters/event")), undocumented+"Event"))
		operations = operations.set("receive"+upper(id), b.operation(id, undocumented+"Event", "Receive events of undocumented types from "+b.broker+"."))
		messages = messages.set(id, b.undocumentedMessage())

		id = b.server + deadLetters
		channels = channels.set(id, b.channel(id, events.DeadLetterSubject(prefixParameter), "Dead letters",
			"Bodies the bridge rejected (400 or 422), kept as they were received, with why. Not CloudEvents: a consumer reading with a CloudEvents SDK must skip this address.",
			obj{}.set("prefix", ref("#/components/parameters/prefix")), deadLetters))
		operations = operations.set("receive"+upper(id), b.operation(id, deadLetters, "Receive dead letters from "+b.broker+", to inspect or replay them."))
		messages = messages.set(id, b.deadLetterMessage())
	}
	for _, t := range types {
		schemas = schemas.set(t.title, ref("./schemas/"+t.name+".json"))
	}
	schemas = schemas.set(undocumented+"Event", ref(undocumentedSchema)).set(deadLetters+"Body", deadLetterPayload())

	doc := obj{}.
		set("asyncapi", "3.0.0").
		set("info", obj{}.
			set("title", "hirebridge: Hirempire events").
			set("version", Version).
			set("description", infoDescription)).
		set("defaultContentType", events.DataContentType).
		set("servers", obj{}.
			set(natsServer, server("nats", "NATS JetStream", "127.0.0.1:4222",
				"The NATS server hirebridge publishes to: HIREBRIDGE_NATS_URL, or its embedded server (the nats_url it logs). "+
					"Events are stored in the JetStream stream "+events.DefaultStream+" (HIREBRIDGE_NATS_STREAM), which captures {prefix}.>.",
				"A server of HIREBRIDGE_NATS_URL (host:port), or the embedded server's address.")).
			set(kafkaServer, server("kafka", "Kafka", "localhost:9092",
				"The Kafka cluster hirebridge publishes to (HIREBRIDGE_KAFKA_BROKERS); one topic per address.",
				"A broker of HIREBRIDGE_KAFKA_BROKERS (host:port)."))).
		set("channels", channels).
		set("operations", operations).
		set("components", obj{}.
			set("parameters", obj{}.
				set("prefix", obj{}.
					set("description", "HIREBRIDGE_TOPIC_PREFIX: one or more dot-separated tokens starting every subject and topic.").
					set("default", events.DefaultPrefix).
					set("examples", []any{events.DefaultPrefix})).
				set("event", obj{}.
					set("description", "The event name as the sender wrote it, trimmed and lowercased: ^[a-z0-9][a-z0-9_.-]{0,127}$, never a documented type, never "+events.DeadLetters+" or below it."))).
			set("schemas", schemas).
			set("messages", messages))
	return encode(doc)
}

var infoDescription = `What hirebridge publishes: the webhooks Hirempire sends, checked and normalized, one address per event type, ` + "`{prefix}.{event}`" + ` (a NATS JetStream subject or a Kafka topic), and the dead letters.

Every event is a CloudEvent 1.0 in binary content mode. The body is the normalized JSON event (the payload schemas below, also in schema/schemas/; each schema's $id is the dataschema attribute of its messages). The attributes are headers: ` + "`ce-*`" + ` on NATS, values percent-encoded as the CloudEvents NATS binding 1.0.3 asks, and ` + "`ce_*`" + ` on Kafka, values UTF-8 as they are. The id is derived from the normalized content: the same event sent twice has the same id. JetStream drops a copy within its duplicate window; beyond it, consumers dedupe on the id.

Dead letters (` + "`" + events.DeadLetterSubject(prefixParameter) + "`" + `) are not CloudEvents: they hold a rejected body as it was received, with no ce- headers. A consumer reading with a CloudEvents SDK must skip them.

Go consumers import github.com/hirebridge/hirebridge/schema/events. This document is generated from the schema catalog (go generate ./schema/internal/asyncapi); do not edit it by hand.`

func ref(to string) obj { return obj{}.set("$ref", to) }

func upper(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func server(protocol, title, host, description, hostDescription string) obj {
	return obj{}.
		set("host", "{host}").
		set("protocol", protocol).
		set("title", title).
		set("description", description).
		set("variables", obj{}.set("host", obj{}.
			set("default", host).
			set("description", hostDescription)))
}
