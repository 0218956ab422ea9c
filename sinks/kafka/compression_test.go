package kafka_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/kafka"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// Batches go to the broker compressed with the configured codec, and read
// back as they were sent.
func TestCompression(t *testing.T) {
	cluster := kafkatest.Start(t)
	for codec, attr := range map[string]uint8{"": 0, "none": 0, "gzip": 1, "snappy": 2, "lz4": 3, "ZSTD": 4} {
		t.Run(codec, func(t *testing.T) {
			s := openSink(t, cluster, kafka.Config{Compression: codec})
			topic := prefix + ".applicant_applied"
			m := message(topic, "compressed-"+codec)
			m.Body = bytes.Repeat([]byte(`{"a":"repetitive json compresses"}`), 50)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := s.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, r := range cluster.Records(t, topic) {
				if id, _ := r.Header("ce_id"); id == m.ID {
					found = true
					if !bytes.Equal(r.Value, m.Body) || r.Compression != attr {
						t.Errorf("record read back with codec %d and %d bytes, want codec %d and the body", r.Compression, len(r.Value), attr)
					}
				}
			}
			if !found {
				t.Errorf("record %s not stored", m.ID)
			}
		})
	}
	var fe *sinks.FieldError
	c := kafka.Config{Brokers: []string{cluster.Addr()}, Prefix: prefix, Compression: "brotli"}
	if err := c.Validate(); !errors.As(err, &fe) || fe.Field != "Compression" {
		t.Errorf("Validate with an unknown codec = %v, want a FieldError for Compression", err)
	}
}
