package spool_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// A stop while the forwarder's first event after an outage is on its way:
// the page after it was read ahead when that event alone was spooled,
// empty then, and the events spooled behind it during the outage are
// committed since. Close forwards them all, rather than take that stale
// empty page for the end of the spool and leave them with no cause.
func TestCloseForwardsWhatWasSpooledAfterThePageReadAhead(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips a Kafka outage and a stop during the first forward after it")
	}
	broker := kafkatest.Start(t)
	dir := t.TempDir()
	var logs syncbuf.Buffer
	sp, err := spool.Open(checkedConfig(dir, &logs), openKafka(t, broker.Addr()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sp.Close(context.Background()) })

	broker.Stop()
	const n = 20
	var sent []*sinks.Message
	spoolOne := func(i int) {
		m := checkedEvent(fmt.Sprintf("app-%02d", i%4), i)
		if ack, err := publishWithin(sp, m, 10*time.Second); err != nil || !ack.Spooled {
			t.Fatalf("event %d with the broker away: %+v, %v; want spooled", i, ack, err)
		}
		sent = append(sent, m)
	}
	spoolOne(0)
	// The forwarder takes the page of that one event and reads the next,
	// empty, while it tries the broker.
	time.Sleep(300 * time.Millisecond)
	for i := 1; i < n; i++ {
		spoolOne(i)
	}

	broker.Start(t)
	// The first produce request is the forwarder's, for event 0: stop
	// while it waits for its answer.
	kf := broker.Kfake()
	arrived := make(chan struct{})
	var once sync.Once
	kf.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		once.Do(func() { close(arrived) })
		kf.SleepControl(func() { time.Sleep(300 * time.Millisecond) })
		return nil, nil, false
	})
	select {
	case <-arrived:
	case <-time.After(15 * time.Second):
		t.Fatalf("the forwarder sent nothing within 15 s of the broker's return:\n%s", logs.String())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sp.Close(ctx); err != nil {
		t.Errorf("Close: %v, want nil", err)
	}
	if left, _ := sp.Held(); left != 0 {
		t.Errorf("%d events left in the spool after Close with the broker there, want 0:\n%s", left, logs.String())
	}
	if !strings.Contains(logs.String(), "the spool is forwarded") {
		t.Errorf("no log line saying the spool was forwarded:\n%s", logs.String())
	}
	var ids []string
	var bodies [][]byte
	for _, r := range broker.Records(t, testPrefix+".applicant_applied") {
		id, _ := r.Header("ce_id")
		ids = append(ids, id)
		bodies = append(bodies, r.Value)
	}
	checkOnceEach(t, ids, sent)
	checkKeyOrder(t, bodies)
}
