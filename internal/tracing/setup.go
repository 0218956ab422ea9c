// Package tracing sets up OpenTelemetry from the standard OTEL_* variables,
// read from the environment the service was given rather than the
// process's, so that a test can run a traced service without os.Setenv.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// DefaultServiceName is service.name when OTEL_SERVICE_NAME is not set.
const DefaultServiceName = "hirebridge"

// Setup returns the tracer provider the OTEL_* variables of environ
// describe, and the function that flushes and stops it. Tracing is off,
// and the provider nil, unless an OTLP endpoint or OTEL_TRACES_EXPORTER=otlp
// is given; OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED=true turn it
// off whatever else is set. Off costs the callers one nil check.
func Setup(ctx context.Context, environ []string, version string) (trace.TracerProvider, func(context.Context) error, error) {
	env := envMap(environ)
	noop := func(context.Context) error { return nil }
	if !enabled(env) {
		return nil, noop, nil
	}
	exp, err := exporter(ctx, env)
	if err != nil {
		return nil, noop, err
	}
	sampler, err := samplerFrom(env)
	if err != nil {
		return nil, noop, err
	}
	name := env["OTEL_SERVICE_NAME"]
	if name == "" {
		name = DefaultServiceName
	}
	attrs, err := resourceAttributes(env["OTEL_RESOURCE_ATTRIBUTES"])
	if err != nil {
		return nil, noop, err
	}
	// service.name and version last: OTEL_SERVICE_NAME wins over a
	// service.name in OTEL_RESOURCE_ATTRIBUTES, as the specification says.
	attrs = append(attrs, attribute.String("service.name", name), attribute.String("service.version", version))
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithSampler(sampler),
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
	)
	return tp, tp.Shutdown, nil
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string)
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "OTEL_") {
			m[k] = strings.TrimSpace(v)
		}
	}
	return m
}

func enabled(env map[string]string) bool {
	if strings.EqualFold(env["OTEL_SDK_DISABLED"], "true") {
		return false
	}
	switch e := strings.ToLower(env["OTEL_TRACES_EXPORTER"]); e {
	case "none":
		return false
	case "":
	default:
		// otlp, or one the exporter refuses with a message at start.
		return true
	}
	return env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" || env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != ""
}

// exporter is the OTLP exporter over http/protobuf (the default) or grpc.
// The endpoints follow the specification: the signal-specific one is used
// as it is, the general one gets /v1/traces appended over HTTP.
func exporter(ctx context.Context, env map[string]string) (sdktrace.SpanExporter, error) {
	if e := strings.ToLower(env["OTEL_TRACES_EXPORTER"]); e != "" && e != "otlp" {
		return nil, fmt.Errorf("OTEL_TRACES_EXPORTER=%s: only otlp and none are supported", e)
	}
	protocol := env["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"]
	if protocol == "" {
		protocol = env["OTEL_EXPORTER_OTLP_PROTOCOL"]
	}
	headers, err := parseHeaders(first(env["OTEL_EXPORTER_OTLP_TRACES_HEADERS"], env["OTEL_EXPORTER_OTLP_HEADERS"]))
	if err != nil {
		return nil, err
	}
	endpoint := env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]
	switch protocol {
	case "", "http/protobuf":
		if endpoint == "" && env["OTEL_EXPORTER_OTLP_ENDPOINT"] != "" {
			endpoint = strings.TrimSuffix(env["OTEL_EXPORTER_OTLP_ENDPOINT"], "/") + "/v1/traces"
		}
		opts := []otlptracehttp.Option{otlptracehttp.WithHeaders(headers)}
		if endpoint != "" {
			if err := checkURL(endpoint); err != nil {
				return nil, err
			}
			opts = append(opts, otlptracehttp.WithEndpointURL(endpoint))
		} else {
			// OTEL_TRACES_EXPORTER=otlp alone: the specification's
			// default, a collector on this host.
			opts = append(opts, otlptracehttp.WithInsecure())
		}
		return otlptracehttp.New(ctx, opts...)
	case "grpc":
		if endpoint == "" {
			endpoint = env["OTEL_EXPORTER_OTLP_ENDPOINT"]
		}
		opts := []otlptracegrpc.Option{otlptracegrpc.WithHeaders(headers)}
		if endpoint != "" {
			if err := checkURL(endpoint); err != nil {
				return nil, err
			}
			opts = append(opts, otlptracegrpc.WithEndpointURL(endpoint))
		} else {
			opts = append(opts, otlptracegrpc.WithInsecure())
		}
		return otlptracegrpc.New(ctx, opts...)
	}
	return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_PROTOCOL=%s: use http/protobuf or grpc", protocol)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// checkURL refuses an endpoint without a scheme at start: the exporter
// would otherwise fail only at the first export, in a log line.
func checkURL(endpoint string) error {
	u, err := url.Parse(endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("OTLP endpoint %q: give a URL such as http://collector:4318", endpoint)
	}
	return nil
}

// parseHeaders reads the specification's key=value,key=value list, values
// percent-encoded.
func parseHeaders(s string) (map[string]string, error) {
	h := map[string]string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		value, err := url.PathUnescape(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) == "" || err != nil {
			// The value is likely a credential: the error does not quote it.
			return nil, fmt.Errorf("OTEL_EXPORTER_OTLP_HEADERS: an entry is not key=value")
		}
		h[strings.TrimSpace(k)] = value
	}
	return h, nil
}

func resourceAttributes(s string) ([]attribute.KeyValue, error) {
	var attrs []attribute.KeyValue
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		value, err := url.PathUnescape(strings.TrimSpace(v))
		if !ok || strings.TrimSpace(k) == "" || err != nil {
			return nil, fmt.Errorf("OTEL_RESOURCE_ATTRIBUTES: %q is not key=value", kv)
		}
		attrs = append(attrs, attribute.String(strings.TrimSpace(k), value))
	}
	return attrs, nil
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if strings.TrimSpace(part) != "" {
			out = append(out, part)
		}
	}
	return out
}

// samplerFrom reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG; the
// default, as in the specification, follows the sender's decision and
// samples every trace that starts here.
func samplerFrom(env map[string]string) (sdktrace.Sampler, error) {
	ratio := func() (float64, error) {
		arg := env["OTEL_TRACES_SAMPLER_ARG"]
		if arg == "" {
			return 1, nil
		}
		r, err := strconv.ParseFloat(arg, 64)
		if err != nil || r < 0 || r > 1 {
			return 0, fmt.Errorf("OTEL_TRACES_SAMPLER_ARG=%s: give a ratio from 0 to 1", arg)
		}
		return r, nil
	}
	switch s := env["OTEL_TRACES_SAMPLER"]; s {
	case "", "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	case "traceidratio", "parentbased_traceidratio":
		r, err := ratio()
		if err != nil {
			return nil, err
		}
		if s == "traceidratio" {
			return sdktrace.TraceIDRatioBased(r), nil
		}
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(r)), nil
	default:
		return nil, fmt.Errorf("OTEL_TRACES_SAMPLER=%s is not supported", s)
	}
}
