// Command consume-kafka reads hirebridge's events from Kafka in a consumer
// group and decodes each into its Go type.
//
// It reads from HIREBRIDGE_KAFKA_BROKERS (default localhost:9092), the
// topics of HIREBRIDGE_TOPIC_PREFIX, in the group CONSUMER_NAME (default
// example-kafka).
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
	"strings"
	"syscall"
	"time"

	"github.com/segmentio/kafka-go"
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
		fmt.Fprintln(os.Stderr, "consume-kafka:", err)
		os.Exit(1)
	}
}

// run reads the topics until ctx ends, saying on stderr what it reads.
// Its error is one line for people.
func run(ctx context.Context, getenv func(string) string, stdout, stderr io.Writer) error {
	brokers, from := getenv("HIREBRIDGE_KAFKA_BROKERS"), "HIREBRIDGE_KAFKA_BROKERS"
	if brokers == "" {
		brokers, from = "localhost:9092", "the default; HIREBRIDGE_KAFKA_BROKERS is unset"
	}
	prefix := cmp.Or(getenv("HIREBRIDGE_TOPIC_PREFIX"), events.DefaultPrefix)
	group := cmp.Or(getenv("CONSUMER_NAME"), "example-kafka")
	var addrs []string
	for _, b := range strings.Split(brokers, ",") {
		addrs = append(addrs, strings.TrimSpace(b))
	}
	// The reader would wait for brokers and topics without a word: a wrong
	// address or prefix is told at once instead.
	want := topics(prefix)
	missing, err := missingTopics(ctx, addrs, want)
	const hint = "is hirebridge running with HIREBRIDGE_SINK=kafka and the same HIREBRIDGE_TOPIC_PREFIX? It creates them at start"
	switch {
	case ctx.Err() != nil:
		return nil // stopped
	case err != nil:
		return fmt.Errorf("cannot reach Kafka at %s (%s): %w", brokers, from, err)
	case len(missing) == len(want):
		return fmt.Errorf("no %s.<event> topics on %s (%s): %s", prefix, brokers, from, hint)
	case len(missing) > 0:
		return fmt.Errorf("topics %s not found on %s (%s): %s", strings.Join(missing, ", "), brokers, from, hint)
	}
	fmt.Fprintf(stderr, "consume-kafka: reading %s.<event> on %s (%s) in group %s; Ctrl-C stops\n", prefix, brokers, from, group)
	err = consume(ctx, addrs, prefix, group, printer(stdout))
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("on %s (%s): %w", brokers, from, err)
	}
	return nil
}

// missingTopics are those of topics the brokers do not have.
func missingTopics(ctx context.Context, brokers, topics []string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	transport := &kafka.Transport{}
	defer transport.CloseIdleConnections()
	client := &kafka.Client{Addr: kafka.TCP(brokers...), Transport: transport}
	md, err := client.Metadata(ctx, &kafka.MetadataRequest{Topics: topics})
	if errors.Is(err, context.DeadlineExceeded) {
		return nil, errors.New("no answer within 10s: is it a Kafka broker?")
	}
	if err != nil {
		// Not kafka-go's "kafka.(*Client).Metadata: " before the cause.
		return nil, cmp.Or(errors.Unwrap(err), err)
	}
	var missing []string
	for _, t := range md.Topics {
		if t.Error != nil {
			missing = append(missing, t.Name)
		}
	}
	return missing, nil
}

// topics are those of the documented types. A reader names its topics, so
// the dead letters (<prefix>.dlq) and undocumented types are simply not
// read.
func topics(prefix string) []string {
	var topics []string
	for _, t := range []string{events.JobAdded, events.JobActivated, events.JobDeactivated, events.JobDeleted,
		events.ApplicantApplied, events.CVUploadCompleted, events.MeetingBooked} {
		topics = append(topics, events.Subject(prefix, t))
	}
	return topics
}

// consume hands each event of the documented types to handle with its
// ce_id, until ctx ends or handle fails. The group's offset is committed
// only once an event is handled, so a restart reads it again.
func consume(ctx context.Context, brokers []string, prefix, group string, handle func(ctx context.Context, id string, ev any) error) error {
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: group, GroupTopics: topics(prefix)})
	defer r.Close()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			return err
		}
		headers := map[string]string{}
		for _, h := range m.Headers {
			headers[h.Key] = string(h.Value)
		}
		ev, err := events.Decode(headers[events.Kafka.Type], m.Value)
		if err != nil {
			// The bridge validated the body against the same schema, so
			// this is a bug to look into, not a reason to stop the group.
			log.Printf("%s@%d: %v", m.Topic, m.Offset, err)
		} else {
			ctx, span := consumerSpan(ctx, m.Topic, func(k string) string { return headers[k] })
			err := handle(ctx, headers[events.Kafka.ID], ev)
			span.End()
			if err != nil {
				return err
			}
		}
		// Committed even when ctx ended meanwhile: the event was handled.
		if err := r.CommitMessages(context.WithoutCancel(ctx), m); err != nil {
			return err
		}
	}
}

// printer is an event handler that acts once per ce_id: Kafka delivers at
// least once, and the bridge may store a re-sent event again (past its
// window, or across its restarts). A service that must act once keeps the
// ids it handled with what it did, in one transaction, rather than in
// memory as here.
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
	return otel.Tracer("consume-kafka").Start(ctx, "process "+destination, trace.WithSpanKind(trace.SpanKindConsumer),
		trace.WithAttributes(attribute.String("messaging.system", "kafka"), attribute.String("messaging.destination.name", destination)))
}
