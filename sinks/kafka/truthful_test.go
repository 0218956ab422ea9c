package kafka_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// tryPublish publishes with a deadline of d and returns the answer.
func tryPublish(s *kafka.Sink, m *sinks.Message, d time.Duration) (sinks.Ack, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return s.Publish(ctx, m)
}

func TestDuplicateOnlyAfterAnAck(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	topic := prefix + ".applicant_applied"
	if ack := publish(t, s, message(topic, "acked"), 10*time.Second); ack.Duplicate {
		t.Fatal("first publish answered as a duplicate")
	}
	if ack := publish(t, s, message(topic, "acked"), 10*time.Second); !ack.Duplicate {
		t.Fatal("a publish of an id acked before is not answered as a duplicate")
	}
	if count := countIDs(cluster.Records(t, topic)); count["acked"] != 1 {
		t.Fatalf("acked stored %d times, want once", count["acked"])
	}
}

// While the first write of an id is unanswered, a publish of the same id
// waits for it and is never told "duplicate"; once the write turns out
// stored, the first caller told so is answered as new.
func TestNoDuplicateWhileTheFirstWriteIsUnanswered(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	topic := prefix + ".applicant_applied"
	kf := cluster.Kfake()
	release := make(chan struct{})
	var held atomic.Bool
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		if !held.Swap(true) {
			kf.SleepControl(func() { <-release })
		}
		return nil, nil, false
	})

	for i, d := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond} {
		ack, err := tryPublish(s, message(topic, "held"), d)
		if !errors.Is(err, sinks.ErrUnavailable) || ack.Duplicate {
			t.Fatalf("publish %d while the first write is unanswered: %+v, %v; want ErrUnavailable", i+1, ack, err)
		}
	}
	close(release)
	if ack := publish(t, s, message(topic, "held"), 10*time.Second); ack.Duplicate {
		t.Error("the first caller told the record is stored was answered duplicate")
	}
	if ack := publish(t, s, message(topic, "held"), 10*time.Second); !ack.Duplicate {
		t.Error("a publish after the record was answered stored is not a duplicate")
	}
	if count := countIDs(cluster.Records(t, topic)); count["held"] != 1 {
		t.Errorf("held stored %d times, want once", count["held"])
	}
}

// A write that timed out unanswered is read back before the id is written
// again: the broker swallowed it (stored nothing), so the retry writes the
// record, once, and is answered as new.
func TestTimedOutWriteNotStoredIsWrittenOnRetry(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{AckTimeout: time.Second})
	topic := prefix + ".applicant_applied"
	kf := cluster.Kfake()
	var swallow atomic.Bool
	swallow.Store(true)
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		return nil, nil, swallow.Load()
	})

	ack, err := tryPublish(s, message(topic, "swallowed"), 300*time.Millisecond)
	if !errors.Is(err, sinks.ErrUnavailable) || ack.Duplicate {
		t.Fatalf("publish to a broker that swallows it: %+v, %v; want ErrUnavailable", ack, err)
	}
	waitFor(t, "the write to time out", func() bool { return s.InFlight() == 0 })
	swallow.Store(false)
	if ack := publish(t, s, message(topic, "swallowed"), 10*time.Second); ack.Duplicate {
		t.Error("retry of a record the broker never stored answered duplicate")
	}
	if _, notFound := s.ReadBacks(); notFound != 1 {
		t.Errorf("%d read-backs found nothing, want 1", notFound)
	}
	if count := countIDs(cluster.Records(t, topic)); count["swallowed"] != 1 {
		t.Errorf("swallowed stored %d times, want once", count["swallowed"])
	}
}

// A write the broker refused is forgotten: the retry writes the record and
// is not answered duplicate.
func TestRefusedWriteIsNotADuplicate(t *testing.T) {
	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{})
	topic := prefix + ".applicant_applied"
	kf := cluster.Kfake()
	var refuse atomic.Bool
	refuse.Store(true)
	var refused atomic.Int64
	kf.ControlKey(int16(kmsg.Produce), func(req kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		if !refuse.Load() {
			return nil, nil, false
		}
		refused.Add(1)
		preq := req.(*kmsg.ProduceRequest)
		resp := preq.ResponseKind().(*kmsg.ProduceResponse)
		for _, rt := range preq.Topics {
			st := kmsg.NewProduceResponseTopic()
			st.Topic = rt.Topic
			for _, rp := range rt.Partitions {
				sp := kmsg.NewProduceResponseTopicPartition()
				sp.Partition = rp.Partition
				sp.ErrorCode = kerr.NotEnoughReplicas.Code
				st.Partitions = append(st.Partitions, sp)
			}
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})

	ack, err := tryPublish(s, message(topic, "refused"), 5*time.Second)
	if !errors.Is(err, sinks.ErrUnavailable) || ack.Duplicate {
		t.Fatalf("publish the broker refuses: %+v, %v; want ErrUnavailable", ack, err)
	}
	if n := refused.Load(); n != 3 {
		t.Errorf("the broker refused %d produce requests, want 3 (a refusal stored nothing, so it is retried)", n)
	}
	refuse.Store(false)
	if ack := publish(t, s, message(topic, "refused"), 10*time.Second); ack.Duplicate {
		t.Error("retry of a refused record answered duplicate")
	}
	if count := countIDs(cluster.Records(t, topic)); count["refused"] != 1 {
		t.Errorf("refused stored %d times, want once", count["refused"])
	}
}

// Everything kafka-go and the sink report goes to the configured zerolog
// logger as JSON lines; nothing is printed to standard output or error, or
// through the standard log package, even on errors, a lost topic and
// read-backs.
func TestLogsGoToTheLoggerOnly(t *testing.T) {
	var logs syncbuf.Buffer
	logger := zerolog.New(&logs).Level(zerolog.TraceLevel)

	stdout, stderr := os.Stdout, os.Stderr
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	printed := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		printed <- string(b)
	}()
	os.Stdout, os.Stderr = w, w
	log.SetOutput(w)
	restore := func() {
		os.Stdout, os.Stderr = stdout, stderr
		log.SetOutput(stderr)
	}
	defer restore()

	cluster := kafkatest.Start(t)
	s := openSink(t, cluster, kafka.Config{AckTimeout: time.Second, Log: logger})
	topic := prefix + ".applicant_applied"
	kf := cluster.Kfake()
	var swallow atomic.Bool
	swallow.Store(true)
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		kf.KeepControl()
		return nil, nil, swallow.Load()
	})
	if _, err := tryPublish(s, message(topic, "logged"), 300*time.Millisecond); err == nil {
		t.Error("publish to a broker that swallows it succeeded")
	}
	waitFor(t, "the write to time out", func() bool { return s.InFlight() == 0 })
	swallow.Store(false)
	cluster.DeleteTopic(t, topic)
	publish(t, s, message(topic, "logged"), 10*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if err := s.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
	cancel()

	restore()
	w.Close()
	if out := <-printed; out != "" {
		t.Errorf("printed outside the logger:\n%s", out)
	}
	want := map[string]bool{
		"writing 1 messages to":                       false, // Writer.Logger, at trace
		"error writing messages to":                   false, // Writer.ErrorLogger
		"created it again":                            false, // the lost topic
		"read back records whose write got no answer": false,
	}
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	lines := 0
	for sc.Scan() {
		lines++
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q: %v", sc.Text(), err)
			continue
		}
		msg, _ := line["message"].(string)
		for w := range want {
			if strings.Contains(msg, w) {
				want[w] = true
			}
		}
	}
	for w, seen := range want {
		if !seen {
			t.Errorf("no log line with %q among %d lines", w, lines)
		}
	}
}
