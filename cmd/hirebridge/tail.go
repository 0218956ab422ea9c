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

	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
	"github.com/hirebridge/hirebridge/sinks/natsjs"
)

// tail prints events from the stream as JSON lines, one per message, with
// subject, headers and data, so a developer can watch what the bridge
// publishes without installing the nats CLI.
func tail(ctx context.Context, args []string, environ []string, stdout io.Writer) error {
	// The service's own configuration, so tail reaches the server the
	// service publishes to, with the same credentials and TLS.
	cfg, err := loadConfig(environ)
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
	subject := sinks.AllTopics(cfg.Bridge.Prefix)
	if fs.NArg() > 0 {
		subject = fs.Arg(0)
	}
	if cfg.Sink == "kafka" {
		return tailKafka(ctx, cfg, *server, subject, *all, stdout)
	}
	nc := natsConfig(cfg)
	nc.URLs = *server
	if nc.URLs == "" {
		b, err := os.ReadFile(embeddedURLFile(cfg.DataDir))
		if err != nil {
			return fmt.Errorf("no NATS URL: set HIREBRIDGE_NATS_URL or -server, or start `hirebridge` with the embedded default first (%w)", err)
		}
		nc.URLs = strings.TrimSpace(string(b))
	}
	conn, err := nc.Connect("hirebridge-tail")
	if err != nil {
		return err
	}
	defer conn.Close()
	url := conn.ConnectedUrlRedacted()
	js, err := jetstream.New(conn)
	if err != nil {
		return err
	}
	st, err := js.Stream(ctx, *stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", *stream, err)
	}
	if err := natsjs.CheckFilter(subject, st.CachedInfo().Config.Subjects); err != nil {
		return fmt.Errorf("tail %s: %w", subject, err)
	}
	policy := jetstream.DeliverNewPolicy
	if *all {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := js.OrderedConsumer(ctx, *stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{subject},
		DeliverPolicy:  policy,
	})
	if err != nil {
		return fmt.Errorf("following %s on stream %s: %w", subject, *stream, err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	go func() { <-ctx.Done(); msgs.Stop() }()
	fmt.Fprintf(os.Stderr, "following %s on stream %s at %s; Ctrl-C stops\n", subject, *stream, url)
	enc := json.NewEncoder(stdout)
	for {
		msg, err := msgs.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := enc.Encode(tailLine(msg)); err != nil {
			return err
		}
	}
}

// tailRecord is one line of tail's output, the same on both brokers: the
// subject or topic, the headers in one form, and the body, as JSON when it
// is JSON (dead letters may hold anything), else as a string.
type tailRecord struct {
	Subject string            `json:"subject"`
	Headers map[string]string `json:"headers"`
	Data    json.RawMessage   `json:"data,omitempty"`
	Raw     string            `json:"raw,omitempty"`
}

func newTailRecord(subject string, headers map[string]string, body []byte) tailRecord {
	rec := tailRecord{Subject: subject, Headers: headers}
	if json.Valid(body) {
		rec.Data = body
	} else {
		rec.Raw = string(body)
	}
	return rec
}

// tailLine shows a NATS message in the form tail prints on both brokers:
// CloudEvents attributes as ce-<name> with the values the event has (the
// binding percent-encodes them), the content type once as content-type
// (the binding's ce-datacontenttype repeats it), and the bridge's own
// headers; JetStream's Nats-Msg-Id, which repeats ce-id, is left out.
func tailLine(msg jetstream.Msg) tailRecord {
	hs := map[string]string{}
	for k, v := range msg.Headers() {
		value := strings.Join(v, ",")
		switch {
		case strings.HasPrefix(k, "Nats-"):
			continue
		case k == "ce-datacontenttype":
			if _, ok := msg.Headers()["content-type"]; ok {
				continue
			}
			k = "content-type"
		case strings.HasPrefix(k, "ce-"):
			value = natsjs.DecodeAttribute(value)
		}
		hs[k] = value
	}
	return newTailRecord(msg.Subject(), hs, msg.Data())
}
