package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

const batchTimeoutVar = "HIREBRIDGE_KAFKA_BATCH_TIMEOUT"

// A deployment that still sets HIREBRIDGE_KAFKA_BATCH_TIMEOUT starts, even
// with a value refused before (past the publish timeout), and its log has
// one warning that the variable is ignored and why; the service publishes.
func TestKafkaStartsWithTheDeprecatedBatchTimeout(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t)
	env := kafkaClusterEnv(t, []string{broker.Addr()})
	env[batchTimeoutVar] = "1h"
	svc := startService(t, env)

	var warnings int
	for line := range strings.Lines(svc.logs.String()) {
		if !strings.Contains(line, batchTimeoutVar) {
			continue
		}
		var entry map[string]any
		if err := json.Unmarshal([]byte(line), &entry); err != nil {
			t.Fatalf("%v: %s", err, line)
		}
		why, _ := entry["why"].(string)
		msg, _ := entry["message"].(string)
		if entry["level"] != "warn" || entry["variable"] != batchTimeoutVar ||
			!strings.Contains(msg, "ignored") || !strings.Contains(why, "no longer wait for a batch to fill") {
			t.Errorf("the line naming %s is not the deprecation warning: %s", batchTimeoutVar, line)
		}
		warnings++
	}
	if warnings != 1 {
		t.Errorf("%d lines name %s, want the one warning:\n%s", warnings, batchTimeoutVar, svc.logs)
	}
	if r := mustPost(t, svc.webhookURL(), example(t, "job_added.json")); r.Status != http.StatusOK || r.Body.Status != "published" {
		t.Errorf("publishing: %d %s, want 200 published", r.Status, r.Raw)
	}
}

// hirebridge config marks the variable deprecated and ignored, set or not,
// and a value that is no duration is no problem.
func TestKafkaConfigMarksTheBatchTimeoutDeprecated(t *testing.T) {
	t.Parallel()
	base := []string{"HIREBRIDGE_SINK=kafka", "HIREBRIDGE_KAFKA_BROKERS=kafka-0:9092"}
	out, stderr, status := configRun(t, base)
	if status != 0 {
		t.Fatalf("exit %d, stderr %q:\n%s", status, stderr, out)
	}
	hasRow(t, out, batchTimeoutVar+` +- +- +deprecated, ignored: records no longer wait for a batch to fill: .*`)
	out, stderr, status = configRun(t, append(base, batchTimeoutVar+"=soon"))
	if status != 0 {
		t.Fatalf("exit %d, stderr %q:\n%s", status, stderr, out)
	}
	hasRow(t, out, batchTimeoutVar+` +- +soon +deprecated, ignored: records no longer wait for a batch to fill: .*`)
}
