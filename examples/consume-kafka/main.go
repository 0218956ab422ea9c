// Command consume-kafka reads hirebridge's events from Kafka in a consumer
// group and decodes each into its Go type.
package main

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/schema/events"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	brokers := strings.Split(cmp.Or(os.Getenv("HIREBRIDGE_KAFKA_BROKERS"), "localhost:9092"), ",")
	prefix := cmp.Or(os.Getenv("HIREBRIDGE_TOPIC_PREFIX"), events.DefaultPrefix)
	err := consume(ctx, brokers, prefix, "billing", printer(os.Stdout))
	if err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

// consume hands each event of the documented types to handle with its
// ce_id, until ctx ends or handle fails. The group's offset is committed
// only once an event is handled, so a restart reads it again.
func consume(ctx context.Context, brokers []string, prefix, group string, handle func(id string, ev any) error) error {
	// A reader names its topics, so the dead letters (<prefix>.dlq) and
	// undocumented types are simply not read.
	var topics []string
	for _, t := range []string{events.JobAdded, events.JobActivated, events.JobDeactivated, events.JobDeleted,
		events.ApplicantApplied, events.CVUploadCompleted, events.MeetingBooked} {
		topics = append(topics, events.Subject(prefix, t))
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: group, GroupTopics: topics})
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
		} else if err := handle(headers[events.Kafka.ID], ev); err != nil {
			return err
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
