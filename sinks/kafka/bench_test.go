package kafka_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

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
