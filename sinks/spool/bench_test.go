package spool_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/internal/syncbuf"
	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// benchEvent is a 2 KB event, the size of the documented examples.
func benchEvent(i int64) *sinks.Message {
	m := event(fmt.Sprintf("app-%d", i%64), int(i))
	m.Body = bytes.Repeat([]byte{'x'}, 2048)
	return m
}

// run publishes from one caller, as one request after another, and from
// 64 concurrent callers, as 64 concurrent requests.
func run(b *testing.B, s sinks.Sink, wantSpooled bool) {
	b.Run("callers=1", func(b *testing.B) {
		var seq int64
		for b.Loop() {
			seq++
			ack, err := publishWithin(s, benchEvent(seq), 10*time.Second)
			if err != nil || ack.Spooled != wantSpooled {
				b.Fatalf("publish: %+v, %v", ack, err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	})
	b.Run("callers=64", func(b *testing.B) { runParallel(b, s, wantSpooled) })
}

func runParallel(b *testing.B, s sinks.Sink, wantSpooled bool) {
	var seq atomic.Int64
	seq.Store(1 << 40) // ids apart from the first run's
	b.SetParallelism(64 / runtime.GOMAXPROCS(0))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			ack, err := publishWithin(s, benchEvent(seq.Add(1)), 10*time.Second)
			if err != nil || ack.Spooled != wantSpooled {
				b.Errorf("publish: %+v, %v", ack, err)
				return
			}
		}
	})
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// Spooled publishes: the broker is away, so each is written to the spool
// and synced before it returns; concurrent ones share syncs.
func BenchmarkSpooled(b *testing.B) {
	away := lazy(b, func(context.Context) (sinks.Sink, error) {
		return nil, errors.New("the broker is away")
	})
	sp := openSpool(b, spoolConfig(b.TempDir(), time.Second, &syncbuf.Buffer{}), away)
	run(b, sp, true)
}

// Published publishes through an empty spool to JetStream (file storage),
// beside BenchmarkSpooled: what a request costs when the broker answers.
func BenchmarkPublished(b *testing.B) {
	srv := natstest.Start(b)
	sp := openSpool(b, spoolConfig(b.TempDir(), time.Second, &syncbuf.Buffer{}), lazyNATS(b, srv.URL()))
	run(b, sp, false)
}
