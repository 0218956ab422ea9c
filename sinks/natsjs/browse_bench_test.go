package natsjs_test

import (
	"context"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// fixtureBodies are the testdata events, about 2 KB each, as a service
// stores them.
func fixtureBodies(t testing.TB) [][]byte {
	t.Helper()
	var out [][]byte
	for _, name := range []string{"applicant_applied", "job_added", "meeting_booked", "cv_upload_completed"} {
		b, err := os.ReadFile("../../testdata/hirempire/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// storeEvents stores n events with the fixtures' bodies and returns the
// oldest one's id.
func storeEvents(t testing.TB, url string, n int) string {
	t.Helper()
	bodies := fixtureBodies(t)
	ms := make([]*sinks.Message, n)
	for i := range ms {
		ms[i] = searchEvent(i, bodies[i%len(bodies)])
	}
	storeBulk(t, url, ms)
	return ms[0].ID
}

// The id lookup SPEC 12 promises: the oldest of the newest 100,000 events
// of about 2 KB, found among them, within a second on the embedded server
// (BenchmarkSearchIDAmong100k measures it; this test checks the answer and
// logs one time).
func TestSearchIDAmong100k(t *testing.T) {
	if testing.Short() || natsjs.RaceEnabled {
		// Storing and reading 200 MB takes a minute under the race
		// detector; TestSearchWindows covers the same code paths there.
		t.Skip("stores 100,000 events")
	}
	srv := natstest.Start(t)
	sink := open(t, config(srv.URL()))
	oldest := storeEvents(t, srv.URL(), sinks.DefaultScan)
	began := time.Now()
	f, err := sink.Search(ctxFor(t, time.Minute), sinks.Query{Filter: testPrefix + ".>", ID: oldest})
	took := time.Since(began)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Messages) != 1 || f.Messages[0].ID != oldest || f.Scanned != sinks.DefaultScan || f.Truncated {
		t.Fatalf("found %d, scanned %d, truncated %v", len(f.Messages), f.Scanned, f.Truncated)
	}
	t.Logf("the oldest of %d events found by id in %s", sinks.DefaultScan, took)
}

// BenchmarkSearchIDAmong100k looks up the oldest of 100,000 events of
// about 2 KB by id, the sink connected in process as to the embedded
// default. Besides the time it reports the CPU the process (the server
// included) spends on one lookup, which on a busy machine says more than
// the time.
func BenchmarkSearchIDAmong100k(b *testing.B) {
	srv := natstest.Start(b)
	c := config(srv.URL())
	c.InProcess = srv.Server
	s, err := natsjs.Open(context.Background(), c)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	oldest := storeEvents(b, srv.URL(), sinks.DefaultScan)
	q := sinks.Query{Filter: testPrefix + ".>", ID: oldest}
	before := cpuTime(b)
	for b.Loop() {
		f, err := s.Search(context.Background(), q)
		if err != nil || len(f.Messages) != 1 || f.Scanned != sinks.DefaultScan {
			b.Fatalf("%d found, %d scanned, %v", len(f.Messages), f.Scanned, err)
		}
	}
	b.ReportMetric((cpuTime(b)-before).Seconds()/float64(b.N), "cpu-s/op")
}

// cpuTime is the CPU the process has used, user and system.
func cpuTime(b *testing.B) time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		b.Fatal(err)
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}
