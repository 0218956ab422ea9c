package kafka_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// A principal the ACLs keep from the marks' topic is refused at once, in
// words naming the topic and the ACL it needs, whether the topic exists or
// not: not after a wait for metadata that never lists it.
func TestResolvedRefusedByACLs(t *testing.T) {
	const admin, adminPass, user, pass = "admin", "admin-Pa55", "bridge", "bridge-Pa55"
	for _, exists := range []bool{false, true} {
		name := "no topic"
		if exists {
			name = "the topic exists"
		}
		t.Run(name, func(t *testing.T) {
			cluster := kafkatest.Start(t, kfake.EnableSASL(), kfake.EnableACLs(),
				kfake.Superuser("PLAIN", admin, adminPass), kfake.User("PLAIN", user, pass))
			cluster.ClientOpts = []kgo.Opt{kgo.SASL(plain.Auth{User: admin, Pass: adminPass}.AsMechanism())}
			cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cluster.Addr())}, cluster.ClientOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			adm := kadm.NewClient(cl)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			// Everything on the prefix's topics and what the sink asks of
			// the cluster; nothing on the marks' topic.
			for _, b := range []*kadm.ACLBuilder{
				kadm.NewACLs().Topics(prefix + ".").ResourcePatternType(kadm.ACLPatternPrefixed).
					Allow("User:" + user).AllowHosts("*").Operations(kadm.OpAll),
				kadm.NewACLs().Clusters().ResourcePatternType(kadm.ACLPatternLiteral).
					Allow("User:"+user).AllowHosts("*").Operations(kadm.OpDescribe, kadm.OpDescribeConfigs, kadm.OpIdempotentWrite),
			} {
				res, err := adm.CreateACLs(ctx, b)
				if err == nil {
					for _, r := range res {
						err = errors.Join(err, r.Err)
					}
				}
				if err != nil {
					t.Fatalf("creating ACLs: %v", err)
				}
			}
			if exists {
				resp, err := adm.CreateTopic(ctx, 1, 1, map[string]*string{"cleanup.policy": new("compact")}, resolvedTopic)
				if err == nil {
					err = resp.Err
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			s := openSink(t, cluster, kafka.Config{SASL: kafka.SASL{Mechanism: kafka.MechanismPlain, Username: user, Password: pass}})

			start := time.Now()
			_, err = s.Resolved(t.Context())
			took := time.Since(start)
			t.Logf("Resolved: %v (in %v)", err, took)
			wantRefusal(t, "Resolved", err, took)

			start = time.Now()
			err = s.Resolve(t.Context(), "dlq-0001", sinks.Mark{By: "test"})
			took = time.Since(start)
			t.Logf("Resolve: %v (in %v)", err, took)
			wantRefusal(t, "Resolve", err, took)
		})
	}
}

func wantRefusal(t *testing.T, what string, err error, took time.Duration) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s succeeded without the ACLs", what)
	}
	if !errors.Is(err, sinks.ErrRefused) || !strings.Contains(err.Error(), resolvedTopic) || !strings.Contains(err.Error(), "ACL") {
		t.Errorf("%s: %v; want a refusal naming %s and the ACL it needs", what, err, resolvedTopic)
	}
	if took > 2*time.Second {
		t.Errorf("%s took %v to say so", what, took)
	}
}
