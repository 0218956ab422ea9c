//go:build linux

package kafka_test

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// BenchmarkSearchIDAmong100k looks an event up by id among the newest
// 100,000 (2 KB bodies, on the 3 partitions of one type's topic), as the
// console's GET /api/v1/events/{id} does (SPEC 12): "oldest" finds the
// oldest of them, so the whole bound is read; "missing" finds none. Each
// run logs the time of one search, the CPU time the process spent on it
// (the client and kfake, which runs in this process: the wall time depends
// on how busy the machine is, which the log line says too) and the
// records it read.
func BenchmarkSearchIDAmong100k(b *testing.B) {
	const n = sinks.DefaultScan
	cluster := kafkatest.Start(b)
	s := openSink(b, cluster, kafka.Config{})
	base := time.Now().Add(-time.Hour).Truncate(time.Millisecond)
	recs := make([]*kgo.Record, 0, 10_000)
	for i := range n {
		at := base.Add(time.Duration(i) * time.Millisecond)
		recs = append(recs, eventRecord(appliedTopic, int32(i%3), fmt.Sprintf("bench-%06d", i), "applicant-1", at, body2KB))
		if len(recs) == cap(recs) {
			produce(b, cluster, recs)
			recs = recs[:0]
		}
	}
	for _, c := range []struct{ name, id string }{{"oldest", "bench-000000"}, {"missing", "bench-none"}} {
		b.Run(c.name, func(b *testing.B) {
			q := sinks.Query{Filter: prefix + ".>", ID: c.id, Limit: 1}
			var f sinks.Found
			start, cpu := time.Now(), cpuTime()
			for b.Loop() {
				f = search(b, s, q)
			}
			b.StopTimer()
			spent := (cpuTime() - cpu) / time.Duration(b.N)
			if f.Scanned != n || f.Truncated || (c.id != "bench-none") != (len(f.Messages) == 1) {
				b.Fatalf("scanned %d, truncated %v, found %v", f.Scanned, f.Truncated, ids(f.Messages))
			}
			b.Logf("id lookup (%s) among the newest %d events of 2 KB: %v a search, %v of CPU (client and kfake), %d records read; load average %s",
				c.name, n, time.Since(start)/time.Duration(b.N), spent, f.Scanned, loadAverage())
		})
	}
}

// cpuTime is the user and system time the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadAverage is the machine's load over the last minute.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Fields(string(b))[0]
}
