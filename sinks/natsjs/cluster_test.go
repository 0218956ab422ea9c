//go:build linux

package natsjs_test

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// clusterSenders publish concurrently through one sink, as a bridge's
// requests do.
const clusterSenders = 8

// openOnCluster opens a sink on a three-node cluster with a stream of three
// replicas, and returns it with the stream's leader and a client reading
// the stream.
func openOnCluster(t *testing.T, cl *natstest.Cluster) (*natsjs.Sink, jetstream.JetStream) {
	t.Helper()
	c := config(cl.URLs())
	c.StreamReplicas = 3
	c.AckTimeout = clusterPublishTimeout
	s := open(t, c)
	return s, inspect(t, cl.URLs())
}

// streamCreated is the stream's creation time, which the bridge's window
// of remembered ids is tied to (window.go): it must stay the same across
// leader changes.
func streamCreated(t *testing.T, js jetstream.JetStream) time.Time {
	t.Helper()
	st, err := js.Stream(ctxFor(t, 10*time.Second), testStream)
	if err != nil {
		t.Fatal(err)
	}
	return st.CachedInfo().Created
}

// readiness polls Ready until stopped, keeping what it said when.
type readiness struct {
	mu   sync.Mutex
	said []readyAnswer
	stop chan struct{}
	done chan struct{}
}

type readyAnswer struct {
	at  time.Time
	err error
}

func watchReadiness(t *testing.T, s *natsjs.Sink) *readiness {
	r := &readiness{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			select {
			case <-r.stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
			err := ready(t, s)
			r.mu.Lock()
			r.said = append(r.said, readyAnswer{time.Now(), err})
			r.mu.Unlock()
		}
	}()
	t.Cleanup(r.end)
	return r
}

func (r *readiness) end() {
	select {
	case <-r.stop:
	default:
		close(r.stop)
	}
	<-r.done
}

// between is what readiness said from one moment to another.
func (r *readiness) between(from, to time.Time) []readyAnswer {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []readyAnswer
	for _, a := range r.said {
		if !a.at.Before(from) && a.at.Before(to) {
			out = append(out, a)
		}
	}
	return out
}

// The stream's leader is killed with SIGKILL under steady load, then
// started again. Nothing acknowledged is lost, nothing stored twice, no
// duplicate answered for a first send; publishing resumes by itself once a
// new leader is elected, and no publish waits out the publish timeout.
func TestClusterLeaderKill(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the kill -9 of a three-node cluster's stream leader under load (every ack stored once, the 503 window measured)")
	}
	cl := natstest.StartCluster(t, 3)
	s, js := openOnCluster(t, cl)
	created := streamCreated(t, js)
	load := startClusterLoad(t, s, clusterSenders)
	load.waitAcked(t, 200, 30*time.Second, "200 acks before the kill")

	leader := cl.WaitStreamLeader(t, testStream, 30*time.Second)
	rd := watchReadiness(t, s)
	killed := time.Now()
	cl.Kill(t, leader)
	next := cl.WaitStreamLeader(t, testStream, 30*time.Second)
	elected := time.Now()
	load.waitAcked(t, 200, 30*time.Second, "200 acks after the election")
	resumedBy := time.Now()
	rd.end()
	cl.Restart(t, leader)
	cl.WaitStreamCurrent(t, testStream, 60*time.Second)
	load.waitAcked(t, 100, 30*time.Second, "100 acks after the old leader came back")
	outcomes := load.finish()

	election := elected.Sub(killed)
	kill := measure("leader kill", outcomes, killed.Add(-time.Second), resumedBy)
	t.Logf("killed the leader n%d; n%d elected %s later (seen through stream info)", leader, next, election.Round(time.Millisecond))
	t.Logf("%s", kill)
	logReadiness(t, rd.between(killed, resumedBy), killed, elected)

	if kill.gap > election+3*time.Second {
		t.Errorf("publishing resumed %s after the last ack before the kill; the election took %s", kill.gap.Round(time.Millisecond), election.Round(time.Millisecond))
	}
	if kill.slowest >= clusterPublishTimeout-time.Second {
		t.Errorf("a publish took %s of its %s timeout during a mere leader change", kill.slowest.Round(time.Millisecond), clusterPublishTimeout)
	}
	if !createdSame(t, js, created) {
		t.Error("the stream's creation time changed with its leader: the bridge forgets its remembered ids")
	}
	checkOutcomes(t, outcomes, storedIDs(t, js, testStream))
}

// logReadiness logs what readiness said through an election, and fails
// when it never said there was no leader while there was none.
func logReadiness(t *testing.T, said []readyAnswer, killed, elected time.Time) {
	t.Helper()
	var firstFail, lastFail time.Time
	noLeader := false
	reasons := map[string]int{}
	for _, a := range said {
		if a.err == nil {
			continue
		}
		if firstFail.IsZero() {
			firstFail = a.at
		}
		lastFail = a.at
		msg := a.err.Error()
		if strings.Contains(msg, "no leader") {
			noLeader = true
		}
		reasons[shorten(msg)]++
	}
	if firstFail.IsZero() {
		t.Logf("readiness: passed throughout the election (%d answers)", len(said))
		return
	}
	t.Logf("readiness: failed from %s to %s after the kill (election done at %s): %v",
		firstFail.Sub(killed).Round(time.Millisecond), lastFail.Sub(killed).Round(time.Millisecond), elected.Sub(killed).Round(time.Millisecond), reasons)
	if !noLeader {
		t.Errorf("readiness never said the stream had no leader during the election: %v", reasons)
	}
}

// durations are what shorten drops from readiness's reasons, so the same
// reason counts once.
var durations = regexp.MustCompile(`[0-9][0-9.]*(ms|s)\b`)

func shorten(s string) string {
	s = durations.ReplaceAllString(s, "…")
	if len(s) > 140 {
		return s[:140] + "..."
	}
	return s
}

func createdSame(t *testing.T, js jetstream.JetStream, created time.Time) bool {
	t.Helper()
	now := streamCreated(t, js)
	t.Logf("stream created %s, and %s after the elections", created.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano))
	return now.Equal(created)
}

// Every server of the cluster is stopped (SIGTERM, as a rolling update
// does) and started again, one at a time, each once the stream is current
// on every replica, under steady load: nothing acknowledged is lost,
// nothing stored twice, no duplicate answered for a first send.
func TestClusterRollingRestart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the rolling restart of a three-node cluster under load (every ack stored once)")
	}
	cl := natstest.StartCluster(t, 3)
	s, js := openOnCluster(t, cl)
	created := streamCreated(t, js)
	load := startClusterLoad(t, s, clusterSenders)
	load.waitAcked(t, 200, 30*time.Second, "200 acks before the restarts")

	var phases []phase
	for i := range cl.Size() {
		cl.WaitStreamCurrent(t, testStream, 60*time.Second)
		wasLeader := cl.StreamLeader(t, testStream) == i
		from := time.Now()
		cl.Stop(t, i)
		load.waitAcked(t, 100, 30*time.Second, "100 acks with a server down")
		cl.Restart(t, i)
		cl.WaitStreamCurrent(t, testStream, 60*time.Second)
		load.waitAcked(t, 100, 30*time.Second, "100 acks after the restart")
		name := "restart of " + cl.Name(i)
		if wasLeader {
			name += " (the leader)"
		}
		phases = append(phases, measurePhase(name, load, from))
	}
	outcomes := load.finish()
	for _, p := range phases {
		t.Logf("%s", p)
		if p.slowest >= clusterPublishTimeout-time.Second {
			t.Errorf("%s: a publish took %s of its %s timeout", p.name, p.slowest.Round(time.Millisecond), clusterPublishTimeout)
		}
	}
	if !createdSame(t, js, created) {
		t.Error("the stream's creation time changed with its leader: the bridge forgets its remembered ids")
	}
	checkOutcomes(t, outcomes, storedIDs(t, js, testStream))
}

// measurePhase measures the load's outcomes from a moment to now.
func measurePhase(name string, l *clusterLoad, from time.Time) phase {
	l.mu.Lock()
	outcomes := l.outcomes
	l.mu.Unlock()
	return measure(name, outcomes, from, time.Now())
}

// Two bridges on one stream: an event sent to one and re-sent to the other
// is stored once, the second answered duplicate by JetStream's own window
// (the second bridge's window never saw the id).
func TestClusterTwoBridgesDuplicate(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips two bridges on one three-node cluster's stream (a re-send through the other answered duplicate)")
	}
	cl := natstest.StartCluster(t, 3)
	first, js := openOnCluster(t, cl)
	second, _ := openOnCluster(t, cl)
	for i, id := range []string{"across-1", "across-2", "across-3"} {
		a, b := first, second
		if i%2 == 1 {
			a, b = second, first
		}
		ack, err := a.Publish(ctxFor(t, 10*time.Second), event(id, "job_added"))
		if err != nil || ack.Duplicate {
			t.Fatalf("%s through one bridge: %+v, %v; want stored", id, ack, err)
		}
		ack, err = b.Publish(ctxFor(t, 10*time.Second), event(id, "job_added"))
		if err != nil || !ack.Duplicate {
			t.Errorf("%s re-sent through the other bridge: %+v, %v; want duplicate", id, ack, err)
		}
	}
	stored := storedIDs(t, js, testStream)
	for _, id := range []string{"across-1", "across-2", "across-3"} {
		if stored[id] != 1 {
			t.Errorf("%s is stored %d times, want once", id, stored[id])
		}
	}
}
