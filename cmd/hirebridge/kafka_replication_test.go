package main

import (
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// kafkaClusterEnv is the environment of a service on the brokers at addrs.
func kafkaClusterEnv(t *testing.T, addrs []string) map[string]string {
	env := baseEnv(t, "")
	delete(env, "HIREBRIDGE_NATS_URL")
	env["HIREBRIDGE_SINK"] = "kafka"
	env["HIREBRIDGE_KAFKA_BROKERS"] = strings.Join(addrs, ",")
	return env
}

// A replication factor the cluster cannot meet stops the start with one
// line naming the variable and the number of brokers.
func TestStartKafkaReplicationFactorAboveBrokers(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3)
	env := kafkaClusterEnv(t, cluster.Addrs())
	env["HIREBRIDGE_KAFKA_REPLICATION_FACTOR"] = "4"
	msg := startError(t, env)
	for _, want := range []string{"HIREBRIDGE_KAFKA_REPLICATION_FACTOR: 4 copies of each partition", "the cluster has 3 broker(s)"} {
		if !strings.Contains(msg, want) {
			t.Errorf("start error %q does not say %q", msg, want)
		}
	}
}

// With the spool on, the bridge starts while the broker is away and opens
// it in the background; a factor the cluster refuses is no absence a wait
// cures, so it stops the start the same way rather than being retried for
// ever behind a ready bridge.
func TestStartKafkaReplicationFactorAboveBrokersWithTheSpool(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3)
	env := kafkaClusterEnv(t, cluster.Addrs())
	env["HIREBRIDGE_KAFKA_REPLICATION_FACTOR"] = "4"
	env["HIREBRIDGE_SPOOL"] = "true"
	msg := startError(t, env)
	if !strings.Contains(msg, "HIREBRIDGE_KAFKA_REPLICATION_FACTOR: 4 copies of each partition") {
		t.Errorf("start error %q does not name the factor the cluster refused", msg)
	}
}

// Zero is refused as a count; empty is the cluster's default.
func TestStartKafkaReplicationFactorZero(t *testing.T) {
	t.Parallel()
	env := kafkaClusterEnv(t, []string{"127.0.0.1:9"})
	env["HIREBRIDGE_KAFKA_REPLICATION_FACTOR"] = "0"
	if msg := startError(t, env); !strings.HasPrefix(msg, "HIREBRIDGE_KAFKA_REPLICATION_FACTOR: 0 is not between 1 and") {
		t.Errorf("start error %q, want HIREBRIDGE_KAFKA_REPLICATION_FACTOR refusing 0", msg)
	}
}

// hirebridge config says what an empty factor means, and marks 0.
func TestKafkaConfigListsTheReplicationFactor(t *testing.T) {
	t.Parallel()
	base := []string{"HIREBRIDGE_SINK=kafka", "HIREBRIDGE_KAFKA_BROKERS=kafka-0:9092"}
	out, _, status := configRun(t, base)
	if status != 0 {
		t.Fatalf("exit %d:\n%s", status, out)
	}
	hasRow(t, out, `HIREBRIDGE_KAFKA_REPLICATION_FACTOR +- +- +automatic: the cluster's default \(default.replication.factor\)`)
	out, _, _ = configRun(t, append(base, "HIREBRIDGE_KAFKA_REPLICATION_FACTOR=0"))
	hasRow(t, out, `HIREBRIDGE_KAFKA_REPLICATION_FACTOR +- +0 +PROBLEM: 0 is not between 1 and 32767; leave it empty for the cluster's default \(default.replication.factor\)`)
	out, _, _ = configRun(t, append(base, "HIREBRIDGE_KAFKA_REPLICATION_FACTOR=3"))
	hasRow(t, out, `HIREBRIDGE_KAFKA_REPLICATION_FACTOR +- +3`)
}
