package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
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
	// The service's own configuration, so tail reaches the broker the
	// service publishes to, with the same credentials and TLS.
	cfg, err := config.Load(environ)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("tail", flag.ContinueOnError)
	all := fs.Bool("all", false, "print the stream (on Kafka: the topics) from its start, not only new events")
	serverDefault, serverHelp := cfg.NATS.URLs, "NATS URL (default: HIREBRIDGE_NATS_URL, else the embedded server under HIREBRIDGE_DATA_DIR)"
	if cfg.Sink == "kafka" {
		serverDefault, serverHelp = strings.Join(cfg.Kafka.Brokers, ","), "Kafka brokers, comma-separated (default: HIREBRIDGE_KAFKA_BROKERS)"
	}
	server := fs.String("server", serverDefault, serverHelp)
	stream := fs.String("stream", cfg.NATS.Stream, "stream name (NATS only)")
	if err := fs.Parse(args); err != nil {
		return err
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
		return fmt.Errorf("tail %s: %w", filter, err)
	}
	return err
}

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
