// Package benchcpu reports a benchmark's CPU time per operation.
package benchcpu

import (
	"syscall"
	"testing"
	"time"
)

// Report reports the process's CPU time (user and system, every goroutine,
// an in-process server's included) per operation as cpu-ns/op. Unlike
// ns/op, which is wall time, shared among parallel senders and stretched
// by whatever else the machine runs, it is what one operation costs.
// Call it as defer benchcpu.Report(b)() once the timer is reset.
func Report(b *testing.B) func() {
	start := cpuTime(b)
	return func() {
		b.ReportMetric(float64((cpuTime(b)-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
