package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/hirebridge/hirebridge/internal/config"
	"github.com/hirebridge/hirebridge/internal/connect"
	"github.com/hirebridge/hirebridge/sinks"
)

// tail prints events as JSON lines, one per message, with subject, headers
// and data, so a developer can watch what the bridge publishes without
// installing the broker's CLI. The lines are the same on both brokers.
func tail(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	// The flags are read before the configuration, so that -h and a wrong
	// flag are answered whatever the variables hold; an empty -server or
	// -stream stands for the configuration's.
	fs := newCommandFlags("tail", "[-all] [-server URL] [-stream NAME] [SUBJECT]", tailAbout, tailExamples)
	all := fs.Bool("all", false, "print the stream (on Kafka: the topics) from its start, not only new events")
	server := fs.String("server", "", "the broker: a NATS `URL` (default: HIREBRIDGE_NATS_URL, else the embedded server\n"+
		"under HIREBRIDGE_DATA_DIR); with HIREBRIDGE_SINK=kafka, Kafka brokers host:port,...\n(default: HIREBRIDGE_KAFKA_BROKERS)")
	stream := fs.String("stream", "", "the JetStream stream `NAME` (NATS only; default: HIREBRIDGE_NATS_STREAM, HIREMPIRE)")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if fs.NArg() > 1 {
		return fs.usageErrorf("takes one SUBJECT, got %s%s", quoteAll(fs.Args()), flagAfterArgs(fs.Args()[1:]))
	}

	// The service's own configuration, so tail reaches the broker the
	// service publishes to, with the same credentials and TLS.
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	if *server == "" {
		*server = cfg.NATS.URLs
		if cfg.Sink == "kafka" {
			*server = strings.Join(cfg.Kafka.Brokers, ",")
		}
	}
	if *stream == "" {
		*stream = cfg.NATS.Stream
	}
	filter := sinks.AllTopics(cfg.Bridge.Prefix)
	if fs.NArg() > 0 {
		filter = fs.Arg(0)
	}
	follower, err := connect.Follower(cfg, *server, *stream)
	if err != nil {
		return err
	}
	defer follower.Close()
	enc := json.NewEncoder(stdout)
	err = follower.Follow(ctx, filter, *all, func() {
		fmt.Fprintf(os.Stderr, "following %s on %s; Ctrl-C stops\n", filter, follower.Where())
	}, func(st sinks.Stored) error {
		return enc.Encode(newTailRecord(st))
	})
	var bad *sinks.FilterError
	if errors.As(err, &bad) {
		return fmt.Errorf("%s: %w", filter, err)
	}
	return err
}

const tailAbout = `Print the events the bridge publishes as they arrive, one JSON line each:
the subject (on Kafka: the topic), the headers and the body. tail reaches
the broker the service publishes to, with the service's HIREBRIDGE_*
settings (credentials, TLS), and commits nothing.

SUBJECT   the subjects (on Kafka: the topics) to follow, default <prefix>.>:
          every event and the dead letters (<prefix>.dlq). <prefix> is
          HIREBRIDGE_TOPIC_PREFIX, hirempire by default. Wildcards match
          whole dot-separated tokens: * one token, > all that follow;
          hirempire.job_* matches nothing, and is refused.
`

const tailExamples = `  hirebridge tail                               new events, every type
  hirebridge tail -all                          the whole stream from its start
  hirebridge tail 'hirempire.job_added'         new job_added events
  hirebridge tail -all 'hirempire.dlq'          every dead letter
`

// tailRecord is one line of tail's output: the subject or topic, the
// headers (as every sinks.Follower gives them), and the body, as JSON when
// it is JSON (dead letters may hold anything), else as a string.
type tailRecord struct {
	Subject string            `json:"subject"`
	Headers map[string]string `json:"headers"`
	Data    json.RawMessage   `json:"data,omitempty"`
	Raw     string            `json:"raw,omitempty"`
}

func newTailRecord(st sinks.Stored) tailRecord {
	rec := tailRecord{Subject: st.Topic, Headers: map[string]string{}}
	for _, h := range st.Headers {
		if prev, ok := rec.Headers[h.Name]; ok {
			h.Value = prev + "," + h.Value
		}
		rec.Headers[h.Name] = h.Value
	}
	if json.Valid(st.Body) {
		rec.Data = st.Body
	} else {
		rec.Raw = string(st.Body)
	}
	return rec
}
