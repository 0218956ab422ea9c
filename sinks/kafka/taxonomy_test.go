package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"

	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/hirebridge/hirebridge/sinks"
)

// The taxonomy as the handler and the spool see it, for every way kafka-go
// reports a failure: a broker code in a batch's WriteErrors (with the
// broker's message, as makeError wraps it), a code from metadata or
// CreateTopics as topics.ensure wraps it, kafka-go's own refusals, and
// network errors. The refusals kfake can express are also shown over the
// wire (refusals_test.go); this covers the rest, such as KAFKA_STORAGE_ERROR,
// INVALID_REQUIRED_ACKS or SASL failures.
func TestClassifyFollowsTheBrokersCodes(t *testing.T) {
	batch := func(code kafkago.Error) error {
		return kafkago.WriteErrors{fmt.Errorf("%w: %s", code, "the broker's own words")}
	}
	creating := func(code kafkago.Error) error {
		return fmt.Errorf("creating topic hirempire.x: %w", code)
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
	}{
		{"client-side too large", kafkago.MessageTooLargeError{}, sinks.ErrTooLarge},
		{"MESSAGE_TOO_LARGE", batch(kafkago.MessageSizeTooLarge), sinks.ErrTooLarge},
		{"RECORD_LIST_TOO_LARGE", batch(kafkago.RecordListTooLarge), sinks.ErrTooLarge},

		{"TOPIC_AUTHORIZATION_FAILED", batch(kafkago.TopicAuthorizationFailed), sinks.ErrRefused},
		{"CLUSTER_AUTHORIZATION_FAILED", batch(kafkago.ClusterAuthorizationFailed), sinks.ErrRefused},
		{"INVALID_TOPIC_EXCEPTION", batch(kafkago.InvalidTopic), sinks.ErrRefused},
		{"POLICY_VIOLATION", batch(kafkago.PolicyViolation), sinks.ErrRefused},
		{"INVALID_RECORD", batch(kafkago.InvalidRecord), sinks.ErrRefused},
		{"INVALID_TIMESTAMP", batch(kafkago.InvalidTimestamp), sinks.ErrRefused},
		{"UNSUPPORTED_FOR_MESSAGE_FORMAT", batch(kafkago.UnsupportedForMessageFormat), sinks.ErrRefused},
		{"UNSUPPORTED_COMPRESSION_TYPE", batch(kafkago.UnsupportedCompressionType), sinks.ErrRefused},
		{"metadata TOPIC_AUTHORIZATION_FAILED", kafkago.TopicAuthorizationFailed, sinks.ErrRefused},
		{"create TOPIC_AUTHORIZATION_FAILED", creating(kafkago.TopicAuthorizationFailed), sinks.ErrRefused},
		{"create CLUSTER_AUTHORIZATION_FAILED", creating(kafkago.ClusterAuthorizationFailed), sinks.ErrRefused},
		{"create POLICY_VIOLATION", creating(kafkago.PolicyViolation), sinks.ErrRefused},
		{"create INVALID_TOPIC_EXCEPTION", creating(kafkago.InvalidTopic), sinks.ErrRefused},
		{"create INVALID_REPLICATION_FACTOR", creating(kafkago.InvalidReplicationFactor), sinks.ErrRefused},
		{"create INVALID_PARTITIONS", creating(kafkago.InvalidPartitionNumber), sinks.ErrRefused},
		{"create INVALID_REPLICA_ASSIGNMENT", creating(kafkago.InvalidReplicaAssignment), sinks.ErrRefused},
		{"create INVALID_CONFIG", creating(kafkago.InvalidConfiguration), sinks.ErrRefused},

		{"LEADER_NOT_AVAILABLE", batch(kafkago.LeaderNotAvailable), sinks.ErrUnavailable},
		{"NOT_LEADER_OR_FOLLOWER", batch(kafkago.NotLeaderForPartition), sinks.ErrUnavailable},
		{"NOT_ENOUGH_REPLICAS", batch(kafkago.NotEnoughReplicas), sinks.ErrUnavailable},
		{"NOT_ENOUGH_REPLICAS_AFTER_APPEND", batch(kafkago.NotEnoughReplicasAfterAppend), sinks.ErrUnavailable},
		{"REQUEST_TIMED_OUT", batch(kafkago.RequestTimedOut), sinks.ErrUnavailable},
		{"KAFKA_STORAGE_ERROR", batch(kafkago.KafkaStorageError), sinks.ErrUnavailable},
		{"CORRUPT_MESSAGE", batch(kafkago.InvalidMessage), sinks.ErrUnavailable},
		{"UNKNOWN_TOPIC_OR_PARTITION", batch(kafkago.UnknownTopicOrPartition), sinks.ErrUnavailable},
		{"UNKNOWN_SERVER_ERROR", batch(kafkago.Unknown), sinks.ErrUnavailable},
		{"BROKER_NOT_AVAILABLE", batch(kafkago.BrokerNotAvailable), sinks.ErrUnavailable},
		{"INVALID_REQUIRED_ACKS", batch(kafkago.InvalidRequiredAcks), sinks.ErrUnavailable},
		{"INVALID_REQUEST", batch(kafkago.InvalidRequest), sinks.ErrUnavailable},
		{"UNSUPPORTED_VERSION", batch(kafkago.UnsupportedVersion), sinks.ErrUnavailable},
		{"SASL_AUTHENTICATION_FAILED", kafkago.SASLAuthenticationFailed, sinks.ErrUnavailable},
		{"create NOT_CONTROLLER", creating(kafkago.NotController), sinks.ErrUnavailable},
		{"create THROTTLING_QUOTA_EXCEEDED", creating(kafkago.ThrottlingQuotaExceeded), sinks.ErrUnavailable},
		{"connection refused", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, sinks.ErrUnavailable},
		{"connection reset", kafkago.WriteErrors{syscall.ECONNRESET}, sinks.ErrUnavailable},
		{"no answer in time", kafkago.WriteErrors{context.DeadlineExceeded}, sinks.ErrUnavailable},

		{"writer closed", io.ErrClosedPipe, sinks.ErrClosed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := classify("hirempire.x", tc.err)
			for _, class := range []error{sinks.ErrTooLarge, sinks.ErrRefused, sinks.ErrUnavailable, sinks.ErrClosed} {
				if errors.Is(got, class) != (class == tc.want) {
					t.Errorf("classify: %v; want %v only", got, tc.want)
				}
			}
			// fly asks retryable about the cause judge finds.
			_, cause := judge(tc.err)
			if sinks.Permanent(got) == retryable(cause) && !errors.Is(got, sinks.ErrClosed) {
				t.Errorf("retryable is %v for %v", retryable(cause), got)
			}
			if kerrs := (kafkago.WriteErrors{}); errors.As(tc.err, &kerrs) && !errors.Is(got, kerrs[0]) {
				t.Errorf("%v does not wrap kafka-go's error %v", got, kerrs[0])
			}
		})
	}
}

// The taxonomy never calls final what Kafka's protocol documentation marks
// retriable, and every code it calls final is one Kafka marks not
// retriable. franz-go's kerr carries that column of Kafka's table.
func TestRefusalsAgreeWithKafkasRetriableColumn(t *testing.T) {
	for code := int16(-1); code < 130; code++ {
		ke := kerr.ErrorForCode(code)
		var k *kerr.Error
		if !errors.As(ke, &k) {
			continue
		}
		if k.Retriable && permanence(kafkago.Error(code)) != nil {
			t.Errorf("%s (%d) is retriable in Kafka's table but refused for good here", k.Message, code)
		}
	}
	for code := range refusals {
		var k *kerr.Error
		if !errors.As(kerr.ErrorForCode(int16(code)), &k) {
			t.Errorf("code %d is not a Kafka error code", code)
			continue
		}
		if k.Retriable {
			t.Errorf("%s (%d) is refused for good here but retriable in Kafka's table", k.Message, code)
		}
	}
}
