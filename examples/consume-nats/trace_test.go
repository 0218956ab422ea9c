package main

import (
	"bytes"
	"net/http"
	"testing"

	"github.com/nats-io/nats.go"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hirebridge/hirebridge/internal/otlptest"
	"github.com/hirebridge/hirebridge/internal/servicetest"
	"github.com/hirebridge/hirebridge/sinks/natsjs/natstest"
)

// The example's consumer span continues the bridge's trace: its parent is
// the producer span the service exported to a real OTLP receiver.
func TestConsumeNATSContinuesTheTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skips the JetStream consumer's span against the built service with tracing on")
	}
	recv := otlptest.Start(t)
	srv := natstest.Start(t)
	svc := servicetest.Start(t, map[string]string{
		"HIREBRIDGE_NATS_URL":         srv.URL(),
		"OTEL_EXPORTER_OTLP_ENDPOINT": recv.Endpoint(),
		// The SDK's batch delay, in milliseconds: the test waits for it.
		"OTEL_BSP_SCHEDULE_DELAY": "100",
	})
	if code, status := svc.Post(t, servicetest.Examples(t)["job_added"]); code != http.StatusOK {
		t.Fatalf("%d %s", code, status)
	}
	spans := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans)))

	nc, err := nats.Connect(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	consumeUntil(t, nc, "HIREMPIRE", "hirempire", 1, &bytes.Buffer{})

	recv.WantContinued(t, spans, "process hirempire.job_added", "publish hirempire.job_added")
}
