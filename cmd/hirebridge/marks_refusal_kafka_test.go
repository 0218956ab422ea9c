//go:build linux

package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// Without its ACLs on the resolved marks' topic, the bridge publishes, but
// what reads the marks is refused at once, naming the topic and the ACL:
// the console's dead-letter list answers 503 broker_refused (no
// Retry-After: asking again changes nothing), and replay stops before
// publishing unless -include-resolved.
func TestKafkaRefusalsOfTheMarks(t *testing.T) {
	t.Parallel()
	broker := kafkatest.Start(t, kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser("PLAIN", kafkaAdmin, kafkaAdminPass), kfake.User("PLAIN", kafkaBridge, kafkaBridgePass))
	broker.ClientOpts = kafkaAdminOpts()
	adm := refusingKafka(t, broker.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := adm.DeleteACLs(ctx, kadm.NewACLs().Topics("_hirebridge.resolved.").ResourcePatternType(kadm.ACLPatternPrefixed).
		Allow("User:"+kafkaBridge).AllowHosts("*").Operations(kadm.OpAll))
	deleted := 0
	for _, r := range res {
		if err == nil {
			err = r.Err
		}
		deleted += len(r.Deleted)
	}
	if err != nil || deleted != 1 {
		t.Fatalf("withdrawing the marks' ACL: %d deleted, %v", deleted, err)
	}
	env := refusingKafkaEnv(t, broker.Addr())
	svc := startService(t, env)
	postRejected(t, svc, badTimestamp, "invalid_timestamp")
	const topic, acl = "_hirebridge.resolved.hirempire", "READ, WRITE, CREATE and DESCRIBE"

	start := time.Now()
	a := api(t, "GET", svc.admin+"/api/v1/deadletters", "", "")
	var e struct{ Error, Detail string }
	a.decode(t, &e)
	t.Logf("the console answers %d %s", a.Status, a.Raw)
	if a.Status != http.StatusServiceUnavailable || e.Error != "broker_refused" || !strings.Contains(e.Detail, topic) ||
		!strings.Contains(e.Detail, acl) || a.Header.Get("Retry-After") != "" {
		t.Errorf("the dead letters without the marks' ACL: %d %s (Retry-After %q)", a.Status, a.Raw, a.Header.Get("Retry-After"))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("the refusal took %v", took)
	}

	start = time.Now()
	_, err = runCommand(t, env, "replay", "-dry-run")
	if err == nil || !strings.Contains(err.Error(), topic) || !strings.Contains(err.Error(), acl) || !strings.Contains(err.Error(), "-include-resolved") {
		t.Errorf("replay without the marks' ACL: %v", err)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("replay's refusal took %v", took)
	}
	wantOutcomes(t, "replay -include-resolved without the marks' ACL", runReplay(t, env, "-dry-run", "-include-resolved"), 1,
		map[string]int{"rejected": 1})
}
