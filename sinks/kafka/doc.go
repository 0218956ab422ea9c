// Package kafka publishes to Apache Kafka with github.com/segmentio/kafka-go:
// one topic per event type, <prefix>.<event>, and <prefix>.dlq for rejected
// bodies.
//
// Records. The value is the message body. The key is the entity key
// (Message.Key), so events about one candidate or one job share a
// partition and stay in order. Headers follow the CloudEvents 1.0 Kafka
// binding in binary content mode: ce_specversion, ce_id, ce_source, ce_type,
// ce_time, ce_subject (when there is a subject), and content-type
// application/json for events; then the message's own headers (traceparent,
// tracestate, hirebridge-*) as they are. Dead letters carry no CloudEvents
// headers.
//
// Partitioning. Keys are hashed with murmur2 and mapped to a partition as
// (murmur2(key) & 0x7fffffff) % partitions, which is the Java client's
// default partitioner (and librdkafka's murmur2_random), so a key lands on
// the partition that Java, Kafka Streams or Connect producers use for it.
// Keyless records go to a random partition.
//
// Durability. A Publish returns success only after the partition leader
// acked the record with acks=all: once every in-sync replica has it (at
// least the topic's min.insync.replicas, a setting of the cluster's that
// the sink leaves alone). Concurrent publishes share produce
// requests: a record for a partition with no request in flight is sent
// at once, and those arriving while one is share the next, each then
// waiting for its own record's ack (producer.go). The sink makes one attempt per produce
// request, which may wait Config.AckTimeout for its answer: kafka-go's
// Writer's own retries resent a batch whose answer was only late, and
// stored it twice. The sink writes a
// record again, within the publish's deadline, only after a failure that
// stored nothing (the broker refused it, or it was never sent); the HTTP
// sender's retry is the retry for the rest.
//
// Unknown outcomes. A produce request that got no answer (timed out, the
// connection broke) may have stored the record, or may store it later: a
// paused broker handles the requests in its socket when it resumes. The sink
// then reads the partition back once the broker answers again, from the
// record's timestamp, looking for its ce_id (a dead letter by a hash of its
// body): found, the record counts as stored; not found, it is written on the
// next publish of its id. Publishes of that id wait for the read-back.
//
// Duplicates. Kafka stores whatever it is sent twice, and kafka-go has no
// idempotent producer. The sink remembers ids in a bounded window
// (Config.DedupSize ids, Config.DedupAge): the ids stored, being written,
// and being read back. A publish of an id being written or read back waits
// for the outcome; of a stored id, it writes nothing. Ack{Duplicate: true}
// is answered only when an earlier publish of the id was already answered
// stored; the first caller told of a stored record (the one that wrote it,
// or, if it stopped waiting, the next to ask) is answered as new. Failed
// publishes are forgotten. The window lives in memory, per process: after a
// restart, on another replica, or past the window, a retried event is
// stored again, and a request held in the network longer than the read-back
// can still be stored twice, so consumers that must process each event once
// dedupe on ce_id.
//
// Topics. Open creates the dead-letter topic and the topics of the known
// event types when missing, with Config.Partitions and
// Config.ReplicationFactor, or, when that is empty, the cluster's
// default.replication.factor (replication.go); other types' topics are
// created the same way on first use. Existing topics are used as they are;
// one with fewer copies than the sink would give it is warned about. A
// topic that disappears while the sink runs (deleted, or the broker
// restarted without its store) is created again with those settings by the
// first publish that finds it missing, which then writes within its
// deadline, or by the readiness probe.
// The broker's automatic topic creation is never used.
//
// Refusals. The broker's error codes sort a failed publish (refusals.go):
// a record larger than the topic or broker takes (MESSAGE_TOO_LARGE,
// RECORD_LIST_TOO_LARGE, or larger than kafka-go's batch limit) is
// sinks.ErrTooLarge; a topic the credentials may not write or create, a
// name, record, timestamp or topic setting the broker rejects, a policy
// violation, is sinks.ErrRefused. Both are final for that record: it is not
// written again, its id is forgotten so a publish after the operator fixed
// things writes it, and other records and topics are unaffected. The
// broker's limit is on a batch of records, so a batch refused as too large
// is followed by a write of the record alone before it is called too large.
// Everything else (no leader, not enough replicas, timeouts, the network,
// SASL) is sinks.ErrUnavailable.
//
// Leaders. A write refused because its broker no longer leads the
// partition, or that could not reach it, makes kafka-go refresh its
// metadata at once and is written again within the same publish
// (leaders.go), rather than failing until kafka-go's own refresh, up to
// six seconds later.
//
// Readiness. Ready asks a broker for its API versions over the writer's own
// connections, then asks it (not the client's metadata cache) whether each
// topic the sink uses exists, creating again those it lost, at most once a
// second. It fails while no broker answers, or the dead-letter topic or a
// known type's topic is missing and cannot be created; a missing topic of
// another type that the broker refuses to create is only logged.
//
// Logs. The sink's producer logs through Config.Log: failed produce
// requests at warn, each request at trace. kafka-go's Transport and Client
// have no logger; nothing is printed elsewhere.
package kafka
