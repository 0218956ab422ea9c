//go:build linux

package natstest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// The harness itself: a stream of three replicas on three processes; its
// leader killed, another elected, the killed one back on its store and
// caught up; a server stopped and started again keeps what it stored.
func TestCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the cluster harness's own test (three nats-server processes, a leader killed and restarted)")
	}
	cl := natstest.StartCluster(t, 3)
	if n := len(strings.Split(cl.URLs(), ",")); n != 3 {
		t.Fatalf("URLs %q: want three", cl.URLs())
	}
	nc, err := nats.Connect(cl.URLs())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "S", Subjects: []string{"s.>"}, Replicas: 3}); err != nil {
		t.Fatal(err)
	}
	publish := func(subject string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := js.Publish(pctx, subject, []byte("x"))
			cancel()
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("publishing %s: %v", subject, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	publish("s.before")

	leader := cl.WaitStreamLeader(t, "S", 30*time.Second)
	cl.Kill(t, leader)
	if cl.Running(leader) {
		t.Fatalf("%s still runs after Kill", cl.Name(leader))
	}
	next := cl.WaitStreamLeader(t, "S", 30*time.Second)
	if next == leader {
		t.Fatalf("the killed server %s still leads", cl.Name(leader))
	}
	publish("s.during")
	cl.Restart(t, leader)
	cl.WaitStreamCurrent(t, "S", time.Minute)

	// Each server answers on its own URL, the restarted one too.
	for i := range cl.Size() {
		c, err := nats.Connect(cl.URL(i))
		if err != nil {
			t.Fatalf("%s: %v", cl.Name(i), err)
		}
		c.Close()
	}
	cl.Stop(t, next)
	cl.Restart(t, next)
	cl.WaitStreamCurrent(t, "S", time.Minute)
	st, err := js.Stream(ctx, "S")
	if err != nil {
		t.Fatal(err)
	}
	if n := st.CachedInfo().State.Msgs; n != 2 {
		t.Errorf("the stream holds %d messages, want 2", n)
	}
}
