package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
	"github.com/twmb/franz-go/pkg/sasl/plain"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// A refusal for good must come back at once, not at the end of the publish
// timeout after retries: refusalTimeout is the publish timeout of these
// tests, promptly the bound on the answer.
const (
	refusalTimeout = 10 * time.Second
	promptly       = 3 * time.Second
)

// refused publishes m and checks that it fails promptly with want
// (sinks.ErrTooLarge or sinks.ErrRefused), not as unavailable, in the
// broker's words (words, when given, must appear in the error).
func refused(t *testing.T, s *kafka.Sink, m *sinks.Message, want error, words ...string) error {
	t.Helper()
	start := time.Now()
	_, err := tryPublish(s, m, refusalTimeout)
	took := time.Since(start)
	if !errors.Is(err, want) || errors.Is(err, sinks.ErrUnavailable) || !sinks.Permanent(err) {
		t.Fatalf("publishing %s (id %s): %v; want %v only", m.Topic, m.ID, err, want)
	}
	if took > promptly {
		t.Errorf("publishing %s: refused after %s, want within %s", m.Topic, took.Round(time.Millisecond), promptly)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("publishing %s: %q does not carry the broker's words %q", m.Topic, err, w)
		}
	}
	t.Logf("%s: %v (%s)", m.Topic, err, took.Round(time.Millisecond))
	return err
}

// stillReady checks that readiness stays OK over a few probe periods (the
// answer is cached for a second).
func stillReady(t *testing.T, s *kafka.Sink) {
	t.Helper()
	for range 4 {
		ctx, cancel := context.WithTimeout(context.Background(), 900*time.Millisecond)
		err := s.Ready(ctx)
		cancel()
		if err != nil {
			t.Fatalf("not ready after a refusal of one topic: %v", err)
		}
		time.Sleep(400 * time.Millisecond)
	}
}

// admin returns a franz-go admin client for cluster, with its ClientOpts.
func admin(t *testing.T, cluster *kafkatest.Cluster) *kadm.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(cluster.Addr())}, cluster.ClientOpts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl)
}

// createTopicWith creates topic with one partition and configs, as an
// operator would.
func createTopicWith(t *testing.T, cluster *kafkatest.Cluster, topic string, configs map[string]*string) {
	t.Helper()
	resp, err := admin(t, cluster).CreateTopic(t.Context(), 1, 1, configs, topic)
	if err == nil {
		err = resp.Err
	}
	if err != nil {
		t.Fatalf("creating %s: %v", topic, err)
	}
}

func sized(topic, id string, n int) *sinks.Message {
	m := message(topic, id)
	m.Body = []byte(`{"pad":"` + strings.Repeat("x", n) + `"}`)
	return m
}

// A topic whose max.message.bytes is small: a larger record is too large
// at once, smaller ones are stored, and records that fit alone are stored
// even when the writer put several in one batch larger than the limit.
func TestTopicMessageLimitIsTooLarge(t *testing.T) {
	cluster := kafkatest.Start(t)
	topic := prefix + ".resume_uploaded"
	limit := "2048"
	createTopicWith(t, cluster, topic, map[string]*string{"max.message.bytes": &limit})
	s := openSink(t, cluster, kafka.Config{AckTimeout: refusalTimeout})

	refused(t, s, sized(topic, "big", 4096), sinks.ErrTooLarge, "[10] Message Size Too Large")
	if n := len(cluster.Records(t, topic)); n != 0 {
		t.Fatalf("%d records after a refusal, want none", n)
	}

	s.WriterStats()
	const n = 8
	// The first request is held until every publish below is queued
	// behind it: they share the next.
	holdFirstProduce(cluster, queuedBehind(s, n))
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			if _, err := tryPublish(s, sized(topic, fmt.Sprintf("small-%d", i), 600), refusalTimeout); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("a record that fits alone: %v", err)
	}
	if st := s.WriterStats(); st.Errors == 0 {
		t.Errorf("no batch was refused (%d produce requests for %d records): the test did not batch records past the limit", st.Writes, n)
	}
	if count := countIDs(cluster.Records(t, topic)); len(count) != n {
		t.Errorf("%d of %d small records stored: %v", len(count), n, count)
	} else {
		for id, c := range count {
			if c != 1 {
				t.Errorf("%s stored %d times", id, c)
			}
		}
	}

	// The refused id was forgotten: once it fits, it is written.
	if ack := publish(t, s, sized(topic, "big", 100), refusalTimeout); ack.Duplicate {
		t.Error("the id refused as too large was answered duplicate")
	}
	stillReady(t, s)
}

// aclCluster is a broker with ACLs where user bridge may do anything on
// the bridge's topics, except write to job_closed (which exists) and create
// secret_made (which does not).
func aclCluster(t *testing.T) (*kafkatest.Cluster, kafka.SASL) {
	const user, pass = "bridge", "bridge-Pa55"
	cluster := kafkatest.Start(t,
		kfake.EnableSASL(), kfake.EnableACLs(),
		kfake.Superuser(kafka.MechanismPlain, "admin", "admin-Pa55"),
		kfake.User(kafka.MechanismPlain, user, pass,
			kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: prefix + ".", Pattern: kmsg.ACLResourcePatternTypePrefixed, Operation: kmsg.ACLOperationAll, Allow: true},
			kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: prefix + ".job_closed", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationWrite},
			kfake.ACL{Resource: kmsg.ACLResourceTypeTopic, Name: prefix + ".secret_made", Pattern: kmsg.ACLResourcePatternTypeLiteral, Operation: kmsg.ACLOperationCreate},
		),
	)
	cluster.ClientOpts = []kgo.Opt{kgo.SASL(plain.Auth{User: "admin", Pass: "admin-Pa55"}.AsMechanism())}
	return cluster, kafka.SASL{Mechanism: kafka.MechanismPlain, Username: user, Password: pass}
}

// liftDeny deletes the deny of op on topic for user bridge, as an operator
// fixing the ACLs.
func liftDeny(t *testing.T, cluster *kafkatest.Cluster, topic string, op kadm.ACLOperation) {
	t.Helper()
	b := kadm.NewACLs().Topics(topic).ResourcePatternType(kadm.ACLPatternLiteral).
		Deny("User:bridge").DenyHosts("*").Operations(op)
	res, err := admin(t, cluster).DeleteACLs(t.Context(), b)
	if err == nil {
		for _, r := range res {
			if err = r.Err; err != nil {
				break
			}
			if len(r.Deleted) == 0 {
				err = errors.New("no ACL matched")
			}
		}
	}
	if err != nil {
		t.Fatalf("deleting the deny of %v on %s: %v", op, topic, err)
	}
}

// A principal that may not write one existing topic, nor create one new
// topic: publishes to those are refused at once in the broker's words, the
// other topics are still written, readiness stays OK, and once the
// operator lifts the denials the same events are written.
func TestTopicsThePrincipalMayNotWriteAreRefused(t *testing.T) {
	cluster, auth := aclCluster(t)
	closed, secret, applied := prefix+".job_closed", prefix+".secret_made", prefix+".applicant_applied"
	createTopicWith(t, cluster, closed, nil)
	s := openSink(t, cluster, kafka.Config{SASL: auth, AckTimeout: refusalTimeout})

	refused(t, s, message(closed, "closed-1"), sinks.ErrRefused, "[29] Topic Authorization Failed", "TOPIC_AUTHORIZATION_FAILED")
	refused(t, s, message(secret, "secret-1"), sinks.ErrRefused, "creating topic "+secret, "[29] Topic Authorization Failed")
	// Concurrent publishes of a refused id all learn the refusal; none
	// writes it again.
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if _, err := tryPublish(s, message(closed, "closed-2"), refusalTimeout); !errors.Is(err, sinks.ErrRefused) {
				t.Errorf("a concurrent publish of a refused record: %v, want ErrRefused", err)
			}
		})
	}
	wg.Wait()

	publish(t, s, message(applied, "applied-1"), refusalTimeout)
	publish(t, s, &sinks.Message{Topic: prefix + ".dlq", ID: "dead-1", Body: []byte("x")}, refusalTimeout)
	if n := cluster.Partitions(t, secret); n != 0 {
		t.Errorf("%s was created (%d partitions) though the principal may not", secret, n)
	}
	stillReady(t, s)

	liftDeny(t, cluster, closed, kadm.OpWrite)
	liftDeny(t, cluster, secret, kadm.OpCreate)
	for _, m := range []*sinks.Message{message(closed, "closed-1"), message(secret, "secret-1")} {
		if ack := publish(t, s, m, refusalTimeout); ack.Duplicate {
			t.Errorf("%s: the refused id was answered duplicate once allowed", m.Topic)
		}
		if count := countIDs(cluster.Records(t, m.Topic)); count[m.ID] != 1 {
			t.Errorf("%s: %s stored %d times, want once", m.Topic, m.ID, count[m.ID])
		}
	}
}

// Topic creation the cluster itself refuses, with no help from the test: a
// replication factor above the number of brokers, and a name colliding with
// an existing topic that differs only in '.' and '_' (Kafka's rule, which
// kfake follows). Both are final for their type; the others still pass.
func TestTopicsTheBrokerWillNotCreateAreRefused(t *testing.T) {
	cluster := kafkatest.Start(t)
	// The start topics exist, so Open does not need to create any with
	// a factor this one-broker cluster cannot meet.
	for _, topic := range []string{prefix + ".dlq", prefix + ".applicant_applied", prefix + ".job_created", prefix + ".job.closed"} {
		createTopicWith(t, cluster, topic, nil)
	}
	s := openSink(t, cluster, kafka.Config{ReplicationFactor: "3", AckTimeout: refusalTimeout})

	refused(t, s, message(prefix+".offer_made", "offer"), sinks.ErrRefused, "[38] Invalid Replication Factor")
	refused(t, s, message(prefix+".job_closed", "closed"), sinks.ErrRefused, "[17] Invalid Topic")
	publish(t, s, message(prefix+".applicant_applied", "applied"), refusalTimeout)
	stillReady(t, s)
}

// Refusals kfake has no configuration for, answered by the broker over the
// wire as a real one would (a kfake fault sets the partition's or topic's
// error code and message): the permanent ones are not retried and answer
// at once; the transient ones are retried and answer unavailable. Either
// way the id is forgotten, so it is written once the broker takes it.
func TestBrokerErrorCodes(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{AckTimeout: refusalTimeout})
	kf := cluster.Kfake()
	for i, tc := range []struct {
		key  kmsg.Key
		code *kerr.Error
		want error
	}{
		{kmsg.Produce, kerr.RecordListTooLarge, sinks.ErrTooLarge},
		{kmsg.Produce, kerr.PolicyViolation, sinks.ErrRefused},
		{kmsg.Produce, kerr.InvalidRecord, sinks.ErrRefused},
		{kmsg.Produce, kerr.InvalidTimestamp, sinks.ErrRefused},
		{kmsg.Produce, kerr.UnsupportedForMessageFormat, sinks.ErrRefused},
		{kmsg.Produce, kerr.UnsupportedCompressionType, sinks.ErrRefused},
		{kmsg.Produce, kerr.ClusterAuthorizationFailed, sinks.ErrRefused},
		{kmsg.Produce, kerr.NotEnoughReplicas, sinks.ErrUnavailable},
		{kmsg.Produce, kerr.LeaderNotAvailable, sinks.ErrUnavailable},
		{kmsg.Produce, kerr.CorruptMessage, sinks.ErrUnavailable},
		{kmsg.Produce, kerr.UnknownServerError, sinks.ErrUnavailable},
		{kmsg.CreateTopics, kerr.PolicyViolation, sinks.ErrRefused},
		{kmsg.CreateTopics, kerr.InvalidPartitions, sinks.ErrRefused},
		{kmsg.CreateTopics, kerr.InvalidConfig, sinks.ErrRefused},
		{kmsg.CreateTopics, kerr.ClusterAuthorizationFailed, sinks.ErrRefused},
		{kmsg.CreateTopics, kerr.ThrottlingQuotaExceeded, sinks.ErrUnavailable},
	} {
		t.Run(fmt.Sprintf("%s/%s", tc.key.Name(), tc.code.Message), func(t *testing.T) {
			topic := fmt.Sprintf("%s.case_%d", prefix, i)
			if tc.key == kmsg.Produce {
				publish(t, s, message(topic, "before"), refusalTimeout)
			}
			// The broker's own message, as Kafka sends one with each
			// produce error since produce v8.
			words := fmt.Sprintf("%s for %s, says the broker", tc.code.Message, topic)
			code := *tc.code
			code.Message = words
			fault := kf.Fault(kfake.Fault{Keys: []kmsg.Key{tc.key}, Topic: topic, Err: &code, Count: -1})
			defer fault.Remove()
			// Ids are one window for every topic: each case has its own.
			id := fmt.Sprintf("refused-%d", i)
			m := message(topic, id)

			if tc.want == sinks.ErrUnavailable {
				_, err := tryPublish(s, m, refusalTimeout)
				if !errors.Is(err, sinks.ErrUnavailable) || sinks.Permanent(err) {
					t.Fatalf("publish: %v, want ErrUnavailable only", err)
				}
				if tc.key == kmsg.Produce && fault.Hits() < 2 {
					t.Errorf("a transient refusal was tried %d times, want retries", fault.Hits())
				}
			} else {
				brokerWords := []string{fmt.Sprintf("[%d] ", tc.code.Code)}
				if tc.key == kmsg.Produce {
					// CreateTopics before v1 has no message.
					brokerWords = append(brokerWords, words)
				}
				refused(t, s, m, tc.want, brokerWords...)
				asks := 1
				if tc.want == sinks.ErrTooLarge {
					// The batch, then the record alone.
					asks = 2
				}
				if n := fault.Hits(); n != asks {
					t.Errorf("the broker was asked %d times, want %d: a refusal for good is not retried", n, asks)
				}
			}

			fault.Remove()
			if ack := publish(t, s, m, refusalTimeout); ack.Duplicate {
				t.Error("the refused id was answered duplicate once the broker took it")
			}
			if count := countIDs(cluster.Records(t, topic)); count[id] != 1 {
				t.Errorf("%s stored %d times, want once", id, count[id])
			}
		})
	}
	stillReady(t, s)
}

// A topic of a type that is not a known one, deleted while the sink runs
// and which the broker then refuses to create again, does not make the
// sink unready (its publishes are refused; the dead-letter topic and the
// known types' topics still make it unready, TestReadinessFollowsAMissingTopic).
func TestRefusedTopicOfOneTypeKeepsTheSinkReady(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{AckTimeout: refusalTimeout})
	topic := prefix + ".offer_made"
	publish(t, s, message(topic, "offer-1"), refusalTimeout)
	waitReady(t, s, true)

	fault := cluster.Kfake().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.CreateTopics}, Topic: topic, Err: kerr.TopicAuthorizationFailed, Count: -1})
	cluster.DeleteTopic(t, topic)
	stillReady(t, s)
	if fault.Hits() == 0 {
		t.Fatal("readiness never tried to create the lost topic again: the test proves nothing")
	}
	refused(t, s, message(topic, "offer-2"), sinks.ErrRefused, "[29] Topic Authorization Failed")
	publish(t, s, message(prefix+".applicant_applied", "applied"), refusalTimeout)
	stillReady(t, s)

	fault.Remove()
	publish(t, s, message(topic, "offer-2"), refusalTimeout)
}
