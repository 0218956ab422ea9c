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
	all := fs.Bool("all", false, "print the stream from its start, not only new events")
	server := fs.String("server", cfg.NATS.URLs, "NATS URL (default: HIREBRIDGE_NATS_URL, else the embedded server under HIREBRIDGE_DATA_DIR)")
	stream := fs.String("stream", cfg.NATS.Stream, "stream name")
	if err := fs.Parse(args); err != nil {
		return err
	}
	subject := sinks.AllTopics(cfg.Bridge.Prefix)
	if fs.NArg() > 0 {
		subject = fs.Arg(0)
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

type tailRecord struct {
	Subject string            `json:"subject"`
	Headers map[string]string `json:"headers"`
	Data    json.RawMessage   `json:"data,omitempty"`
	Raw     string            `json:"raw,omitempty"`
}

func tailLine(msg jetstream.Msg) tailRecord {
	rec := tailRecord{Subject: msg.Subject(), Headers: map[string]string{}}
	for k, v := range msg.Headers() {
		value := strings.Join(v, ",")
		if strings.HasPrefix(k, "ce-") {
			// The values as the event has them, not as the binding
			// encodes them.
			value = natsjs.DecodeAttribute(value)
		}
		rec.Headers[k] = value
	}
	if json.Valid(msg.Data()) {
		rec.Data = msg.Data()
	} else {
		// Dead letters may hold anything the sender sent.
		rec.Raw = string(msg.Data())
	}
	return rec
}
