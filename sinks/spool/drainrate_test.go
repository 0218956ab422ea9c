package spool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
	"github.com/hirebridge/hirebridge/sinks/spool"
)

// The drain rate: a spool filled while the broker was away, opened again
// with the broker back, timed from then to an empty spool; with a steady
// 1,000 new events a second published through it meanwhile (load), and
// with the forwarder one at a time (the broker's sink without
// PublishBatch) for comparison. Issue 22's targets: 5,000 events/s on
// Kafka, 15,000 on NATS, from a backlog of 100,000, and the backlog
// shrinking under the load.
//
//	go test -run '^$' -bench BenchmarkDrain -benchtime 1x ./sinks/spool/
//
// HIREBRIDGE_BENCH_DRAIN_EVENTS sets the backlog (default 100000); the
// one-at-a-time runs take a tenth of it. HIREBRIDGE_BENCH_DRAIN_CPUPROFILE
// names a file for a CPU profile of the drain alone (of the last run).

// drainBacklog is the number of events spooled before each drain.
func drainBacklog(b *testing.B) int {
	n := 100_000
	if v := os.Getenv("HIREBRIDGE_BENCH_DRAIN_EVENTS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n <= 0 {
			b.Fatalf("HIREBRIDGE_BENCH_DRAIN_EVENTS=%q: want a positive number", v)
		}
	}
	return n
}

// oneAtATime hides the broker sink's PublishBatch: the forwarder then
// publishes one record per round trip, as before batches.
type oneAtATime struct{ sinks.Sink }

func BenchmarkDrain(b *testing.B) {
	brokers := []struct {
		name string
		open func(b *testing.B) func(context.Context) (sinks.Sink, error)
	}{
		{"nats", func(b *testing.B) func(context.Context) (sinks.Sink, error) {
			srv := natstest.Start(b)
			return func(ctx context.Context) (sinks.Sink, error) {
				c := natsConfig(srv.URL())
				c.MaxPending = 4096
				return natsjs.Open(ctx, c)
			}
		}},
		{"kafka", func(b *testing.B) func(context.Context) (sinks.Sink, error) {
			broker := kafkatest.Start(b)
			return func(ctx context.Context) (sinks.Sink, error) {
				return kafka.Open(ctx, kafka.Config{
					Brokers: []string{broker.Addr()}, Prefix: testPrefix, KnownTypes: []string{"applicant_applied"},
					Partitions: 3, AckTimeout: 5 * time.Second, Log: zerolog.Nop(),
				})
			}
		}},
	}
	for _, br := range brokers {
		for _, mode := range []struct {
			name  string
			batch bool
			load  bool
		}{{"batches", true, false}, {"batches+load", true, true}, {"one-at-a-time", false, false}} {
			b.Run(br.name+"/"+mode.name, func(b *testing.B) {
				open := br.open(b)
				n := drainBacklog(b)
				if !mode.batch {
					n /= 10
				}
				var rate, took, cpu float64
				for i := range b.N {
					b.StopTimer()
					dir := b.TempDir()
					tag := fmt.Sprintf("%s%d", mode.name, i)
					fill(b, dir, tag, n)
					b.StartTimer()
					r := drain(b, dir, tag, open, mode.batch, mode.load)
					b.StopTimer()
					rate += float64(r.forwarded) / r.took.Seconds()
					took += r.took.Seconds()
					cpu += float64(r.cpu.Microseconds()) / float64(r.forwarded)
					b.Logf("%s %s: backlog %d, %d new meanwhile, empty after %s: %.0f events/s forwarded, %.0f µs CPU an event (broker's included); backlog every second: %v",
						br.name, mode.name, n, r.added, r.took.Round(time.Millisecond), float64(r.forwarded)/r.took.Seconds(),
						float64(r.cpu.Microseconds())/float64(r.forwarded), r.samples)
				}
				b.ReportMetric(rate/float64(b.N), "events/s")
				b.ReportMetric(took/float64(b.N), "s/drain")
				b.ReportMetric(cpu/float64(b.N), "cpu-µs/event")
			})
		}
	}
}

// fill spools n events, 2 KB each over 64 keys, with the broker away,
// from 64 concurrent callers, and closes the spool.
func fill(b *testing.B, dir, tag string, n int) {
	away := lazy(b, func(context.Context) (sinks.Sink, error) { return nil, errors.New("the broker is away") })
	sp, err := spool.Open(spoolConfig(dir, time.Second, &syncbuf.Buffer{}), away)
	if err != nil {
		b.Fatal(err)
	}
	var next, spooled atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for i := next.Add(1); i <= int64(n); i = next.Add(1) {
				m := benchEvent(i)
				m.ID = fmt.Sprintf("%s-%s", tag, m.ID)
				if ack, err := publishWithin(sp, m, 10*time.Second); err != nil || !ack.Spooled {
					b.Errorf("spooling: %+v, %v", ack, err)
					return
				}
				spooled.Add(1)
			}
		})
	}
	wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := sp.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if spooled.Load() != int64(n) {
		b.Fatalf("%d events spooled, want %d", spooled.Load(), n)
	}
}

type drained struct {
	// took is from the spool's opening to empty; cpu is the process's
	// CPU time meanwhile, the in-process broker's included.
	took, cpu        time.Duration
	forwarded, added int64
	samples          []int64
}

// drain opens the spool in dir in front of the broker and waits until it
// is empty; with load, publishing 1,000 new events a second through it
// until then.
func drain(b *testing.B, dir, tag string, open func(context.Context) (sinks.Sink, error), batch, load bool) drained {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	inner, err := open(ctx)
	cancel()
	if err != nil {
		b.Fatalf("opening the broker's sink: %v", err)
	}
	if !batch {
		inner = oneAtATime{inner}
	}
	opening := time.Now()
	sp, err := spool.Open(spoolConfig(dir, time.Second, &syncbuf.Buffer{}), inner)
	if err != nil {
		b.Fatal(err)
	}
	// From here: opening checked the file, which a bridge does once at
	// its start, not when the broker returns.
	start, cpu0 := time.Now(), cpuTime()
	if path := os.Getenv("HIREBRIDGE_BENCH_DRAIN_CPUPROFILE"); path != "" {
		// The drain alone, without the filling.
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	b.Logf("opening the spool took %s", start.Sub(opening).Round(time.Millisecond))
	held, _ := sp.Held()
	stop := make(chan struct{})
	var added atomic.Int64
	var senders sync.WaitGroup
	if load {
		senders.Go(func() { steady(b, sp, tag, 1000, stop, &added) })
	}
	var samples []int64
	tick := time.NewTicker(time.Second)
	for {
		n, _ := sp.Held()
		if n == 0 {
			break
		}
		select {
		case <-tick.C:
			samples = append(samples, n)
			if time.Since(start) > 10*time.Minute {
				b.Fatalf("the spool still holds %d events after 10 minutes", n)
			}
		case <-time.After(5 * time.Millisecond):
		}
	}
	took := time.Since(start)
	cpu := cpuTime() - cpu0
	tick.Stop()
	close(stop)
	senders.Wait()
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := sp.Close(ctx); err != nil {
		b.Errorf("closing the spool: %v", err)
	}
	return drained{took: took, cpu: cpu, forwarded: held + added.Load(), added: added.Load(), samples: samples}
}

// steady publishes perSecond events a second through s, each from a
// caller of its own (as requests), until stop; added counts the accepted
// ones.
func steady(b *testing.B, s sinks.Sink, tag string, perSecond int, stop <-chan struct{}, added *atomic.Int64) {
	var wg sync.WaitGroup
	defer wg.Wait()
	tick := time.NewTicker(time.Second / time.Duration(perSecond))
	defer tick.Stop()
	for i := int64(1); ; i++ {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		wg.Go(func() {
			m := benchEvent(i)
			m.ID = fmt.Sprintf("%s-new-%s", tag, m.ID)
			if _, err := publishWithin(s, m, 10*time.Second); err != nil {
				b.Errorf("publishing a new event during the drain: %v", err)
				return
			}
			added.Add(1)
		})
	}
}

// cpuTime is the CPU time this process used so far, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
