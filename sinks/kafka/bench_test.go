package kafka_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// body2KB is a 2 KB JSON event body.
var body2KB = []byte(`{"event":"applicant_applied","pad":"` + strings.Repeat("x", 2048-37) + `"}`)

func benchMessage(n int64) *sinks.Message {
	id := strconv.FormatInt(n, 10)
	m := message(prefix+".applicant_applied", "bench-"+id)
	m.Key, m.Event.Subject = "applicant-"+strconv.FormatInt(n%64, 10), "applicant-"+strconv.FormatInt(n%64, 10)
	m.Body = body2KB
	return m
}

// BenchmarkPublish is many concurrent callers, as the HTTP handler under
// load: ns/op is the sink's throughput, not one request's latency.
func BenchmarkPublish(b *testing.B) {
	cluster := kafkatest.Start(b)
	s := openSink(b, cluster, kafka.Config{})
	var seq atomic.Int64
	b.SetParallelism(16)
	b.SetBytes(int64(len(body2KB)))
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := s.Publish(context.Background(), benchMessage(seq.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkPublishAlone is one caller at a time: ns/op is the latency of a
// lone request, which the batch timeout must keep in milliseconds.
func BenchmarkPublishAlone(b *testing.B) {
	cluster := kafkatest.Start(b)
	s := openSink(b, cluster, kafka.Config{})
	b.SetBytes(int64(len(body2KB)))
	b.ResetTimer()
	for i := range b.N {
		if _, err := s.Publish(context.Background(), benchMessage(int64(i))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish64 is the load test's shape without HTTP: 64 callers,
// each publishing its next event once the previous one is answered, to a
// kfake broker in its own process (as .ci/loadtest/run.sh runs it), on the
// default settings. p50-ms and p99-ms are the publishes' latencies: the
// tail the producer's batching decides (producer.go).
func BenchmarkPublish64(b *testing.B) {
	broker := kafkatest.StartProcess(b)
	s := openSink(b, nil, kafka.Config{Brokers: broker.Addrs()})
	const callers = 64
	var seq atomic.Int64
	took := make([][]time.Duration, callers)
	b.SetBytes(int64(len(body2KB)))
	s.WriterStats()
	cpu0 := publishCPU()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for c := range callers {
		wg.Go(func() {
			for n := seq.Add(1); n <= int64(b.N); n = seq.Add(1) {
				t0 := time.Now()
				if _, err := s.Publish(context.Background(), benchMessage(n)); err != nil {
					b.Error(err)
					return
				}
				took[c] = append(took[c], time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	cpu := publishCPU() - cpu0
	st := s.WriterStats()
	all := slices.Concat(took...)
	slices.Sort(all)
	if len(all) == 0 {
		return
	}
	at := func(q float64) float64 { return float64(all[int(q*float64(len(all)-1))]) / 1e6 }
	b.ReportMetric(at(0.5), "p50-ms")
	b.ReportMetric(at(0.99), "p99-ms")
	b.ReportMetric(float64(len(all))/elapsed.Seconds(), "publishes/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(len(all)), "cpu-µs/op")
	if st.Writes > 0 {
		b.ReportMetric(float64(st.Messages)/float64(st.Writes), "records/request")
	}
}

// publishCPU is the CPU the process used so far, user and system.
func publishCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
