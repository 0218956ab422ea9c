// Command consume-nats follows hirebridge's events with a durable
// JetStream consumer and decodes each into its Go type.
//
// It finds the server at NATS_URL (the NATS tools' variable), else as
// `hirebridge tail` does: HIREBRIDGE_NATS_URL, else the address
// hirebridge's embedded server recorded in
// $HIREBRIDGE_DATA_DIR/embedded-nats.url (./data by default, so run it
// where hirebridge runs), else nats://127.0.0.1:4222.
// CONSUMER_NAME names its durable consumer (default example-go).
package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hirebridge/hirebridge/schema/events"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "consume-nats:", err)
		os.Exit(1)
	}
}

// run follows the stream until ctx ends, saying on stderr what it
// follows. Its error is one line for people.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	url, from := natsServer(getenv)
	stream := cmp.Or(getenv("HIREBRIDGE_NATS_STREAM"), events.DefaultStream)
	prefix := cmp.Or(getenv("HIREBRIDGE_TOPIC_PREFIX"), events.DefaultPrefix)
	durable := cmp.Or(getenv("CONSUMER_NAME"), "example-go")
	nc, err := nats.Connect(url)
	if err != nil {
		return fmt.Errorf("cannot connect to %s (%s): %w", url, from, err)
	}
	defer nc.Close()
	// The stream is looked up first, so a wrong server or name says so
	// before anything else.
	js, err := jetstream.New(nc)
	if err == nil {
		_, err = js.Stream(ctx, stream)
	}
	if err == nil {
		fmt.Fprintf(stderr, "consume-nats: following stream %s (%s.>) on %s (%s) as %s; Ctrl-C stops\n", stream, prefix, url, from, durable)
		err = consume(ctx, nc, stream, prefix, durable, printer(stdout))
	}
	switch {
	case ctx.Err() != nil:
		return nil // stopped
	case errors.Is(err, jetstream.ErrStreamNotFound):
		return fmt.Errorf("stream %s not found on %s (%s): is hirebridge running with the same HIREBRIDGE_NATS_STREAM?", stream, url, from)
	case errors.Is(err, jetstream.ErrJetStreamNotEnabled), errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount), errors.Is(err, nats.ErrNoResponders):
		return fmt.Errorf("%s (%s) has no JetStream: is it hirebridge's server?", url, from)
	case err != nil:
		return fmt.Errorf("stream %s on %s (%s): %w", stream, url, from, err)
	}
	return nil
}

// natsServer is the server's URL and where it came from: NATS_URL, else
// found as `hirebridge tail` finds it. With its zero configuration
// hirebridge runs an embedded server, on a free port when 4222 is taken,
// and records its URL in its data directory.
func natsServer(getenv func(string) string) (url, from string) {
	for _, name := range []string{"NATS_URL", "HIREBRIDGE_NATS_URL"} {
		if url := getenv(name); url != "" {
			return url, name
		}
	}
	file := filepath.Join(cmp.Or(getenv("HIREBRIDGE_DATA_DIR"), "data"), "embedded-nats.url")
	if b, err := os.ReadFile(file); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), "recorded in " + file
	}
	return nats.DefaultURL, "the default; no NATS_URL, HIREBRIDGE_NATS_URL or " + file
}

// consume hands each event of the stream to handle with its ce-id, until
// ctx ends. The durable consumer keeps its place across restarts, and an
// event is acknowledged only once handled, so a crash redelivers it.
func consume(ctx context.Context, nc *nats.Conn, stream, prefix, durable string, handle func(ctx context.Context, id string, ev any) error) error {
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	cons, err := js.CreateOrUpdateConsumer(ctx, stream, jetstream.ConsumerConfig{
		Durable:       durable,
		AckPolicy:     jetstream.AckExplicitPolicy,
		FilterSubject: prefix + ".>",
	})
	if err != nil {
		return err
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	defer msgs.Stop()
	for {
		msg, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			return cmp.Or(ctx.Err(), err)
		}
		ev, err := events.Decode(msg.Subject(), msg.Data())
		switch {
		case errors.Is(err, events.ErrDeadLetter), errors.Is(err, events.ErrUnknownType):
			// <prefix>.dlq holds rejected bodies, not CloudEvents; an
			// undocumented type has no Go type. Neither is for us.
		case err != nil:
			// The bridge validated the body against the same schema, so
			// this is a bug to look into, not a reason to stop the stream.
			log.Printf("%s: %v", msg.Subject(), err)
		default:
			ctx, span := consumerSpan(ctx, msg.Subject(), msg.Headers().Get)
			err := handle(ctx, msg.Headers().Get(events.NATS.ID), ev)
			span.End()
			if err != nil {
				_ = msg.Nak() // delivered again later
				continue
			}
		}
		_ = msg.Ack()
	}
}

// printer is an event handler that acts once per ce-id. JetStream drops a
// re-sent event only within the stream's duplicate window; a service that
// must act once keeps the ids it handled with what it did, in one
// transaction, rather than in memory as here.
func printer(w io.Writer) func(ctx context.Context, id string, ev any) error {
	done := map[string]bool{}
	return func(_ context.Context, id string, ev any) error {
		if done[id] {
			return nil
		}
		switch ev := ev.(type) {
		case *events.JobEvent:
			fmt.Fprintln(w, ev.Event, ev.Job.ID, ev.Job.Title)
		case *events.ApplicantEvent:
			fmt.Fprintln(w, ev.Event, ev.Applicant.ID, ev.Applicant.Name, "for", ev.Job.ID)
		case *events.MeetingEvent:
			fmt.Fprintln(w, ev.Event, ev.Meeting.ID, ev.Meeting.DurationMinutes, "min")
		}
		done[id] = true
		return nil
	}
}

// consumerSpan starts the span of handling one message, continuing the
// trace of the message's traceparent: the bridge's producer span is its
// parent. The tracer is the program's (otel.SetTracerProvider); without
// one it is a no-op that still passes the trace context on in ctx.
func consumerSpan(ctx context.Context, destination string, header func(string) string) (context.Context, trace.Span) {
	carrier := propagation.MapCarrier{"traceparent": header("traceparent"), "tracestate": header("tracestate")}
	ctx = propagation.TraceContext{}.Extract(ctx, carrier)
	return otel.Tracer("consume-nats").Start(ctx, "process "+destination, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "nats"), attribute.String("messaging.destination.name", destination)))
}
