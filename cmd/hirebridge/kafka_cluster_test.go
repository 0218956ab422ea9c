//go:build linux

package main

import (
	"strings"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The built binary on a cluster of three brokers (kfakecmd -brokers 3)
// under HTTP load: the topics it creates take the cluster's default
// replication factor (three copies), and the log says so; the whole
// cluster stops answering (SIGSTOP) for four seconds and resumes
// (SIGCONT). Senders are told 503 meanwhile and post again; every event
// answered 200 is on its topic. The figures logged are what the pause cost
// the senders.
func TestBinaryKafkaClusterPausedUnderLoad(t *testing.T) {
	slow(t, "the built binary on a three-broker Kafka under HTTP load, the brokers paused four seconds: nothing answered 200 lost (about 10s)")
	// Not parallel: the figures it logs are times.
	broker := kafkatest.StartProcess(t, kafkatest.Brokers(3))
	env := kafkaClusterEnv(t, broker.Addrs())
	env["HIREBRIDGE_PUBLISH_TIMEOUT"] = "2s"
	env["HIREBRIDGE_RETRY_AFTER"] = "1s"
	proc := startBinary(t, env)
	defer proc.stop(t)

	const topic = "hirempire.job_added"
	for _, name := range []string{"hirempire.dlq", topic} {
		for p, nodes := range broker.Replicas(t, name) {
			if len(nodes) != 3 {
				t.Errorf("%s/%d: copies on nodes %v, want three (the cluster's default)", name, p, nodes)
			}
		}
	}
	if want := `"replication_factor":"the cluster's default (default.replication.factor)"`; !strings.Contains(proc.logs.String(), want) {
		t.Errorf("the start log lacks %s:\n%s", want, proc.logs)
	}

	load := startKafkaClusterLoad(proc.svc.webhookURL(), "cluster", newEventFactory(t), 16)
	defer load.finish()
	waitFor(t, 30*time.Second, "300 events answered 200 before the pause", func() bool { return load.acked() >= 300 })
	broker.Pause(t)
	time.Sleep(4 * time.Second)
	broker.Resume(t)
	before := load.acked()
	waitFor(t, 30*time.Second, "300 more events answered 200 after the pause", func() bool { return load.acked() >= before+300 })
	load.finish()

	stored := map[string]int{}
	for _, r := range broker.Records(t, topic) {
		if id, ok := r.Header("ce_id"); ok {
			stored[id]++
		}
	}
	load.check(t, stored)
}
