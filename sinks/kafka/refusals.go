package kafka

import (
	"errors"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

// refusals names the broker errors that refuse one record for good: no
// retry of the same record to the same topic succeeds until an operator
// changes the deployment, while records to other topics, or smaller ones,
// may still be stored. Every code not named here is transient for the sink
// (sinks.ErrUnavailable): a later try may pass.
//
// The starting point is the "Retriable" column of Kafka's protocol error
// table (kafka.apache.org/protocol#protocol_error_codes); a code is named
// here only if Kafka marks it not retriable and it is about this record or
// its topic: its size, its contents, the topic's settings, or an operator's
// decision about the topic (ACLs, policies). Non-retriable codes about the
// connection or the client's own settings (SASL, UNSUPPORTED_VERSION,
// INVALID_REQUIRED_ACKS, INVALID_REQUEST, BROKER_NOT_AVAILABLE,
// UNKNOWN_SERVER_ERROR) would refuse every record, the dead letters
// included, for no fault of the record: they stay transient, so the sender
// and the spool keep the events until the broker or the configuration is
// fixed, rather than filling the dead letters with events nothing was
// wrong with.
//
// The broker's words travel with the refusal: the error wraps kafka-go's,
// which reads "[code] Title: description" and, when the broker sent one,
// its own message.
var refusals = map[kafkago.Error]error{
	// MESSAGE_TOO_LARGE (10): the record batch is larger than the topic's
	// max.message.bytes or the broker's message.max.bytes. The limit is on
	// the batch: fly writes the record alone before believing it
	// (writeAlone).
	kafkago.MessageSizeTooLarge: sinks.ErrTooLarge,
	// RECORD_LIST_TOO_LARGE (18): the batch is larger than the topic's
	// segment.bytes, so it can never be appended either.
	kafkago.RecordListTooLarge: sinks.ErrTooLarge,

	// TOPIC_AUTHORIZATION_FAILED (29): the principal may not write the
	// topic (produce), see it (metadata), or create it (CreateTopics).
	// Other topics may still be allowed.
	kafkago.TopicAuthorizationFailed: sinks.ErrRefused,
	// CLUSTER_AUTHORIZATION_FAILED (31): on CreateTopics from brokers
	// before 2.0, which demand CREATE on the cluster to create any topic
	// (topics that exist are still written); on produce, the principal
	// may not write (kafka-go's writer is not idempotent, so it is not
	// the missing IDEMPOTENT_WRITE). Like any authorization refusal it is
	// an operator's decision, final until the ACLs change: should it
	// cover the dead letters too, the bridge answers 5xx (SPEC §10).
	kafkago.ClusterAuthorizationFailed: sinks.ErrRefused,
	// INVALID_TOPIC_EXCEPTION (17): a name the broker rejects, such as one
	// colliding with an existing topic that differs only in '.' and '_'.
	// Names Kafka rejects by their characters or length never reach the
	// broker: Publish refuses them first (checkTopic).
	kafkago.InvalidTopic: sinks.ErrRefused,
	// POLICY_VIOLATION (44): a create-topic policy refused the topic's
	// settings, or a produce policy the record.
	kafkago.PolicyViolation: sinks.ErrRefused,
	// INVALID_RECORD (87): the broker's validation refused the record (for
	// instance a keyless record, such as a dead letter, on a compacted
	// topic).
	kafkago.InvalidRecord: sinks.ErrRefused,
	// INVALID_TIMESTAMP (32): the record's timestamp is outside the topic's
	// message.timestamp.*.max.ms. The sink stamps records when it writes
	// them, so only a clock the operator fixes cures it.
	kafkago.InvalidTimestamp: sinks.ErrRefused,
	// UNSUPPORTED_FOR_MESSAGE_FORMAT (43) and UNSUPPORTED_COMPRESSION_TYPE
	// (76): the topic's message.format.version predates the record's
	// headers or the configured codec.
	kafkago.UnsupportedForMessageFormat: sinks.ErrRefused,
	kafkago.UnsupportedCompressionType:  sinks.ErrRefused,

	// CreateTopics only: the topic cannot be created with the configured
	// settings on this cluster. INVALID_REPLICATION_FACTOR (38) also comes
	// from a KRaft controller that has fewer brokers registered than the
	// factor, which a broker's return cures; the event is kept on the
	// dead letters for a replay all the same, so calling it final loses
	// nothing.
	kafkago.InvalidReplicationFactor: sinks.ErrRefused,
	kafkago.InvalidPartitionNumber:   sinks.ErrRefused, // INVALID_PARTITIONS (37)
	kafkago.InvalidReplicaAssignment: sinks.ErrRefused, // INVALID_REPLICA_ASSIGNMENT (39)
	kafkago.InvalidConfiguration:     sinks.ErrRefused, // INVALID_CONFIG (40)
}

// Transient on purpose, though a reader of the protocol table might expect
// otherwise: CORRUPT_MESSAGE (2) is retriable in Kafka's table (a CRC broken
// on the way); NOT_ENOUGH_REPLICAS (19), NOT_ENOUGH_REPLICAS_AFTER_APPEND
// (20), LEADER_NOT_AVAILABLE (5), NOT_LEADER_OR_FOLLOWER (6),
// REQUEST_TIMED_OUT (7), KAFKA_STORAGE_ERROR (56), NOT_CONTROLLER (41) and
// THROTTLING_QUOTA_EXCEEDED (89) are retriable; UNKNOWN_TOPIC_OR_PARTITION
// (3) makes the sink create the topic again.

// permanence tells whether err refuses its record for good: sinks.ErrTooLarge
// or sinks.ErrRefused, or nil when a later try may pass. kafka-go's own
// refusal of a record larger than the writer's batch limit (BatchBytes) is
// too large as well: it is never sent.
func permanence(err error) error {
	err = recordErr(err)
	if errors.Is(err, sinks.ErrRefused) {
		// The sink's own refusal: a missing topic it may not create.
		return sinks.ErrRefused
	}
	var tooLarge kafkago.MessageTooLargeError
	if errors.As(err, &tooLarge) {
		return sinks.ErrTooLarge
	}
	var code kafkago.Error
	if errors.As(err, &code) {
		return refusals[code]
	}
	return nil
}

// brokerTooLarge reports whether the broker, rather than kafka-go, refused
// a record's batch as too large: the batch may have held other records.
func brokerTooLarge(cause error) bool {
	var client kafkago.MessageTooLargeError
	return !errors.As(cause, &client) && errors.Is(permanence(cause), sinks.ErrTooLarge)
}

// recordErr is the error of the one record a WriteMessages call wrote: its
// batch's error, inside WriteErrors, which has no Unwrap.
func recordErr(err error) error {
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == 1 && werrs[0] != nil {
		return werrs[0]
	}
	return err
}
