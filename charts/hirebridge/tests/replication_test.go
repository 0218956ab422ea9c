package tests

import (
	"strings"
	"testing"
)

// The replication factor of the topics the bridge creates: left empty (the
// default, null or ""), the chart sets no variable and the bridge takes the
// cluster's default.replication.factor; a number is passed on; zero or a
// word is refused by the schema, as the binary would refuse it.
func TestKafkaReplicationFactor(t *testing.T) {
	const kafka = "config: {sink: kafka, kafka: {brokers: 'kafka-0:9092'"
	for doc, want := range map[string]string{
		kafka + "}}":                          "",
		kafka + ", replicationFactor: null}}": "",
		kafka + ", replicationFactor: ''}}":   "",
		kafka + ", replicationFactor: 3}}":    "3",
	} {
		env := mustRender(t, values(t, doc)).env(t)
		got, set := env[envPrefix+"KAFKA_REPLICATION_FACTOR"]
		switch {
		case want == "" && set:
			t.Errorf("%s: the chart sets HIREBRIDGE_KAFKA_REPLICATION_FACTOR=%q, want it unset (the cluster's default)", doc, got)
		case want != "" && got != want:
			t.Errorf("%s: HIREBRIDGE_KAFKA_REPLICATION_FACTOR=%q (set %v), want %q", doc, got, set, want)
		}
	}
	for _, bad := range []string{"0", "-1", "three", "32768"} {
		_, err := render(t, values(t, kafka+", replicationFactor: "+bad+"}}"))
		if err == nil || !strings.Contains(err.Error(), "replicationFactor") {
			t.Errorf("replicationFactor %s: %v, want a refusal naming replicationFactor", bad, err)
		}
	}
}
