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
// acked the record with acks=all. Concurrent publishes share produce
// requests: each waits up to Config.BatchTimeout for others to join, then
// for its own record's ack. kafka-go retries a failed request a few times
// within Config.AckTimeout and then gives up; a record whose caller stopped
// waiting may still be stored during that time, with the same ce_id as the
// caller's retry.
//
// Duplicates. Kafka stores whatever it is sent twice, and kafka-go has no
// idempotent producer. The sink remembers the ids of stored records in a
// bounded window (Config.DedupSize ids, Config.DedupAge): a publish of a
// remembered id writes nothing and returns Ack{Duplicate: true}, and
// concurrent publishes of one id write one record. Failed publishes are not
// remembered. The window lives in memory, per process: after a restart, on
// another replica, or past the window, a retried event is stored again, so
// consumers that must process each event once dedupe on ce_id.
//
// Topics. Open creates the dead-letter topic and the topics of the known
// event types when missing, with Config.Partitions and
// Config.ReplicationFactor; other types' topics are created the same way on
// first use. Existing topics are used as they are. The broker's automatic
// topic creation is never used.
//
// Readiness. Ready asks a broker for its API versions over the writer's own
// connections, at most once a second, and fails while no broker answers or
// the dead-letter topic is missing.
package kafka
