package tracing

import (
	"context"
	"strings"
	"testing"
)

// Off unless an exporter is configured; none and OTEL_SDK_DISABLED win.
func TestSetupOnlyWithAnExporter(t *testing.T) {
	for _, tc := range []struct {
		env []string
		on  bool
	}{
		{nil, false},
		{[]string{"OTEL_SERVICE_NAME=x", "OTEL_TRACES_SAMPLER=always_on"}, false},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:4318/v1/traces"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4317", "OTEL_EXPORTER_OTLP_PROTOCOL=grpc"}, true},
		{[]string{"OTEL_TRACES_EXPORTER=otlp"}, true},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_TRACES_EXPORTER=none"}, false},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318", "OTEL_SDK_DISABLED=true"}, false},
	} {
		tp, stop, err := Setup(context.Background(), tc.env, "test")
		if err != nil {
			t.Fatalf("%v: %v", tc.env, err)
		}
		if (tp != nil) != tc.on {
			t.Errorf("%v: on %v, want %v", tc.env, tp != nil, tc.on)
		}
		if err := stop(context.Background()); err != nil {
			t.Errorf("%v: stop: %v", tc.env, err)
		}
	}
}

// A setting the service cannot honour stops it at start, naming the
// variable, rather than tracing otherwise than asked.
func TestSetupRefusesWhatItCannotHonour(t *testing.T) {
	for _, tc := range []struct {
		env  []string
		want string
	}{
		{[]string{"OTEL_TRACES_EXPORTER=zipkin"}, "OTEL_TRACES_EXPORTER"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_PROTOCOL=http/json"}, "OTEL_EXPORTER_OTLP_PROTOCOL"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=collector:4318"}, "OTLP endpoint"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_TRACES_SAMPLER=sometimes"}, "OTEL_TRACES_SAMPLER"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_TRACES_SAMPLER=traceidratio", "OTEL_TRACES_SAMPLER_ARG=2"}, "OTEL_TRACES_SAMPLER_ARG"},
		{[]string{"OTEL_EXPORTER_OTLP_ENDPOINT=http://c:4318", "OTEL_EXPORTER_OTLP_HEADERS=secret-no-equals"}, "OTEL_EXPORTER_OTLP_HEADERS"},
	} {
		_, _, err := Setup(context.Background(), tc.env, "test")
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: %v, want an error naming %s", tc.env, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "secret") {
			t.Errorf("%v: the error quotes a header's value: %v", tc.env, err)
		}
	}
}
