package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kversion"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// openLogged opens a sink on cluster with c, its log kept for the test.
func openLogged(t *testing.T, cluster *kafkatest.Cluster, c kafka.Config) (*kafka.Sink, *syncbuf.Buffer, error) {
	t.Helper()
	logs := &syncbuf.Buffer{}
	c.Log = zerolog.New(logs)
	c.Brokers = cluster.Addrs()
	c.Prefix = prefix
	if c.KnownTypes == nil {
		c.KnownTypes = []string{"applicant_applied"}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := kafka.Open(ctx, c)
	if err == nil {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = s.Close(ctx)
		})
	}
	return s, logs, err
}

// copies checks that every partition of each topic has want copies.
func copies(t *testing.T, cluster *kafkatest.Cluster, want int, topics ...string) {
	t.Helper()
	for _, topic := range topics {
		replicas := cluster.Replicas(t, topic)
		if len(replicas) == 0 {
			t.Errorf("%s: missing", topic)
		}
		for p, nodes := range replicas {
			if len(nodes) != want {
				t.Errorf("%s/%d: copies on nodes %v, want %d copies", topic, p, nodes, want)
			}
		}
	}
}

// With the factor left empty, the topics take the cluster's default: -1
// in CreateTopics, which kfake turns into min(3, brokers), as a Kafka
// cluster of three brokers with default.replication.factor=3 would. The
// start log says so, and each creation says the copies the cluster gave.
func TestTopicsTakeTheClustersReplicationFactor(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3)
	_, logs, err := openLogged(t, cluster, kafka.Config{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	copies(t, cluster, 3, prefix+".dlq", prefix+".applicant_applied")
	for _, want := range []string{
		`"replication_factor":"the cluster's default (default.replication.factor)"`,
		`"topic":"hirempire.dlq","partitions":3,"replication_factor":3,"brokers":3,"message":"created topic"`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s:\n%s", want, logs)
		}
	}
}

// A number configured is the number asked, and the log says it was
// configured.
func TestTopicsTakeTheConfiguredReplicationFactor(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3)
	_, logs, err := openLogged(t, cluster, kafka.Config{ReplicationFactor: "2"})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	copies(t, cluster, 2, prefix+".dlq", prefix+".applicant_applied")
	if want := `"replication_factor":2,"replication_factor_from":"configured"`; !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %s:\n%s", want, logs)
	}
}

// Brokers before Kafka 2.4 (CreateTopics before version 4) refuse -1: the
// sink reads default.replication.factor from the controller and asks for
// that number, and says so.
func TestBrokersBeforeKafka24GetTheirDefaultReadBack(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3,
		kfake.MaxVersions(kversion.V2_3_0()),
		kfake.BrokerConfigs(map[string]string{"default.replication.factor": "2"}))
	_, logs, err := openLogged(t, cluster, kafka.Config{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	copies(t, cluster, 2, prefix+".dlq", prefix+".applicant_applied")
	if want := `"replication_factor":2,"replication_factor_from":"default.replication.factor of broker `; !strings.Contains(logs.String(), want) {
		t.Errorf("logs lack %s:\n%s", want, logs)
	}
}

// More copies than brokers: the cluster refuses the topics, and Open says
// so in one line naming the setting (which the binary turns into
// HIREBRIDGE_KAFKA_REPLICATION_FACTOR) and the number of brokers, whether
// the factor was configured or is the cluster's default.
func TestTooFewBrokersForTheFactorIsOneLineNamingTheSetting(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		cluster func(*testing.T) *kafkatest.Cluster
		factor  string
		says    string
	}{
		"configured": {
			cluster: func(t *testing.T) *kafkatest.Cluster { return kafkatest.StartBrokers(t, 3) },
			factor:  "4",
			says:    "4 copies of each partition, which the cluster cannot meet",
		},
		"the cluster's default": {
			// kfake applies -1 as at most the number of brokers; a
			// cluster before 2.4 with a default above it is refused.
			cluster: func(t *testing.T) *kafkatest.Cluster {
				return kafkatest.StartBrokers(t, 1, kfake.MaxVersions(kversion.V2_3_0()),
					kfake.BrokerConfigs(map[string]string{"default.replication.factor": "3"}))
			},
			says: "is empty, for the cluster's default (default.replication.factor), which the cluster cannot meet",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cluster := tc.cluster(t)
			_, _, err := openLogged(t, cluster, kafka.Config{ReplicationFactor: tc.factor})
			var fe *kafka.FieldError
			if !errors.As(err, &fe) || fe.Field != "ReplicationFactor" {
				t.Fatalf("Open: %v, want a FieldError for ReplicationFactor", err)
			}
			brokers := map[string]string{"configured": "3 broker(s)", "the cluster's default": "1 broker(s)"}[name]
			for _, want := range []string{tc.says, "[38] Invalid Replication Factor", "the cluster has " + brokers} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("Open: %q, want it to say %q", err, want)
				}
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("Open: %q, want one line", err)
			}
		})
	}
}

// An existing topic is used as it is, whatever its copies; one with a
// single copy on a cluster of several brokers (as the bridge created them
// while its default was one copy) is warned about at start.
func TestExistingSingleCopyTopicIsWarnedAbout(t *testing.T) {
	t.Parallel()
	cluster := kafkatest.StartBrokers(t, 3)
	if err := cluster.Kfake().CreateTopic(prefix+".dlq", 3, nil); err != nil {
		t.Fatal(err)
	}
	// kfake's CreateTopic makes the cluster's default number of copies;
	// one copy takes the protocol.
	resp, err := admin(t, cluster).CreateTopic(t.Context(), 3, 1, nil, prefix+".applicant_applied")
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatal(err)
	}
	_, logs, err := openLogged(t, cluster, kafka.Config{})
	if err != nil {
		t.Fatalf("opening: %v", err)
	}
	copies(t, cluster, 1, prefix+".applicant_applied")
	warned := `"topic":"hirempire.applicant_applied","replication_factor":1,"brokers":3,"message":"the topic has fewer copies`
	if !strings.Contains(logs.String(), warned) {
		t.Errorf("logs lack %s:\n%s", warned, logs)
	}
	if strings.Contains(logs.String(), `"topic":"hirempire.dlq"`) {
		t.Errorf("the dead-letter topic, with the cluster's copies, is logged:\n%s", logs)
	}
}
