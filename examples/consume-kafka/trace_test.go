package main

import (
	"bytes"
	"net/http"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hirebridge/hirebridge/internal/otlptest"
	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/kafka/kafkatest"
)

// The example's consumer span continues the bridge's trace: its parent is
// the producer span the service exported to a real OTLP receiver.
func TestConsumeKafkaContinuesTheTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the Kafka reader's span against the built service with tracing on")
	}
	recv := otlptest.Start(t)
	broker := kafkatest.Start(t)
	answerEmptyFetchesSoon(broker)
	svc := servicetest.Start(t, map[string]string{
		"HIREBRIDGE_SINK":             "kafka",
		"HIREBRIDGE_KAFKA_BROKERS":    broker.Addr(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.Endpoint(),
		// The SDK's batch delay, in milliseconds: the test waits for it.
		"OTEL_BSP_SCHEDULE_DELAY": "100",
	})
	if code, status := svc.Post(t, servicetest.Examples(t)["job_added"]); code != http.StatusOK {
		t.Fatalf("%d %s", code, status)
	}
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))

	consumeUntil(t, []string{broker.Addr()}, 1, &bytes.Buffer{})

	recv.WantContinued(t, spans, "process hirempire.job_added", "publish hirempire.job_added")
}
