// Command consume-nats follows hirebridge's events with a durable
// JetStream consumer and decodes each into its Go type.
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
	"syscall"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/schema/events"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	nc, err := nats.Connect(cmp.Or(os.Getenv("NATS_URL"), nats.DefaultURL))
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	stream := cmp.Or(os.Getenv("HIREBRIDGE_NATS_STREAM"), events.DefaultStream)
	prefix := cmp.Or(os.Getenv("HIREBRIDGE_TOPIC_PREFIX"), events.DefaultPrefix)
	err = consume(ctx, nc, stream, prefix, "billing", printer(os.Stdout))
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

// consume hands each event of the stream to handle with its ce-id, until
// ctx ends. The durable consumer keeps its place across restarts, and an
// event is acknowledged only once handled, so a crash redelivers it.
func consume(ctx context.Context, nc *nats.Conn, stream, prefix, durable string, handle func(id string, ev any) error) error {
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
			if err := handle(msg.Headers().Get(events.NATS.ID), ev); err != nil {
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
func printer(w io.Writer) func(id string, ev any) error {
	done := map[string]bool{}
	return func(id string, ev any) error {
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
