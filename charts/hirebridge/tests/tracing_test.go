package tests

import (
	"strings"
	"testing"
)

// TestTracingEnv: tracing.endpoint renders the standard OpenTelemetry
// variables, which turn the bridge's tracing on; without it none is set
// and tracing stays off.
func TestTracingEnv(t *testing.T) {
	r := mustRender(t, values(t, "tracing: {endpoint: 'http://otel-collector:4317', protocol: grpc, serviceName: hirebridge-eu}"))
	got := map[string]string{}
	for _, e := range r.container(t).Env {
		got[e.Name] = e.Value
	}
	for name, want := range map[string]string{
		"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel-collector:4317",
		"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
		"OTEL_SERVICE_NAME":           "hirebridge-eu",
	} {
		if got[name] != want {
			t.Errorf("%s = %q, want %q", name, got[name], want)
		}
	}

	for _, e := range mustRender(t, values(t, "")).container(t).Env {
		if strings.HasPrefix(e.Name, "OTEL_") {
			t.Errorf("%s set without tracing.endpoint", e.Name)
		}
	}
}
