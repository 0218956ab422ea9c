package bridge

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/hirebridge/hirebridge/internal/benchcpu"
)

// BenchmarkWebhook measures one applicant_applied event of about 2 KB from
// request to JetStream ack, each event distinct so that none is a
// duplicate. The in-process server's work and allocations count too: they
// are part of the price of an event here. Eight senders per CPU keep
// several publishes waiting for their acks at once, as webhooks arrive.
func BenchmarkWebhook(b *testing.B) {
	example := payload(b, "applicant_applied")
	const applicantID = `"app_xyz789wvu654tsr321"`
	if !bytes.Contains(example, []byte(applicantID)) {
		b.Fatalf("the example no longer holds %s", applicantID)
	}
	// bodies are built before the clock starts; an id of the same width
	// keeps every body the example's size.
	bodies := func(n int) [][]byte {
		out := make([][]byte, n)
		for i := range out {
			id := fmt.Sprintf(`"app_%018d"`, i)
			out[i] = bytes.Replace(example, []byte(applicantID), []byte(id), 1)
		}
		return out
	}

	b.Run("handler", func(b *testing.B) {
		benchHandler(b, newHarness(b, inProcess()), bodies(b.N), len(example))
	})

	// Tracing on: every request sampled, its server and producer spans
	// through the SDK's batch processor to an exporter that drops them, so
	// the figure is the bridge's and the SDK's cost, not a collector's.
	b.Run("handler-traced", func(b *testing.B) {
		tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(tracetest.NewNoopExporter()))
		b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
		benchHandler(b, newHarness(b, inProcess(), withTracing(tp)), bodies(b.N), len(example))
	})

	b.Run("http", func(b *testing.B) {
		h := newHarness(b, inProcess())
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		b.Cleanup(client.CloseIdleConnections)
		all := bodies(b.N)
		var next atomic.Int64
		b.SetBytes(int64(len(example)))
		b.ReportAllocs()
		b.SetParallelism(8)
		b.ResetTimer()
		defer benchcpu.Report(b)()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				body := all[next.Add(1)-1]
				resp, err := client.Post(h.webhookURL(), "application/json", bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	})
}

// benchHandler posts bodies to h's handler without a socket, eight senders
// per CPU.
func benchHandler(b *testing.B, h *harness, all [][]byte, size int) {
	target := testPath + "/" + url.PathEscape(testToken)
	var next atomic.Int64
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.SetParallelism(8)
	b.ResetTimer()
	defer benchcpu.Report(b)()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			body := all[next.Add(1)-1]
			rec := httptest.NewRecorder()
			h.mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body)))
			if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"published"`)) {
				b.Errorf("%d %s", rec.Code, rec.Body)
				return
			}
		}
	})
}
