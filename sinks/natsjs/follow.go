package natsjs

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var _ sinks.Follower = (*Follower)(nil)

// Follower follows a stream's subjects through an ordered consumer, which
// nothing on the server outlives: `hirebridge tail` on NATS.
type Follower struct {
	conn   *nats.Conn
	js     jetstream.JetStream
	stream string
}

// NewFollower connects with c's settings (servers, credentials, TLS) as
// client name, to follow c's stream.
func NewFollower(c Config, name string) (*Follower, error) {
	conn, err := c.Connect(name)
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Follower{conn: conn, js: js, stream: c.Stream}, nil
}

// Where names the stream and the server.
func (f *Follower) Where() string {
	return fmt.Sprintf("stream %s at %s", f.stream, f.conn.ConnectedUrlRedacted())
}

// Close closes the connection.
func (f *Follower) Close() error {
	f.conn.Close()
	return nil
}

// Follow follows the subjects filter matches; filter must overlap what the
// stream captures.
func (f *Follower) Follow(ctx context.Context, filter string, fromStart bool, started func(), fn func(sinks.Stored) error) error {
	st, err := f.js.Stream(ctx, f.stream)
	if err != nil {
		return fmt.Errorf("stream %s: %w", f.stream, err)
	}
	if err := CheckFilter(filter, st.CachedInfo().Config.Subjects); err != nil {
		return &sinks.FilterError{Filter: filter, Err: err}
	}
	policy := jetstream.DeliverNewPolicy
	if fromStart {
		policy = jetstream.DeliverAllPolicy
	}
	cons, err := f.js.OrderedConsumer(ctx, f.stream, jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{filter},
		DeliverPolicy:  policy,
	})
	if err != nil {
		return fmt.Errorf("following %s on stream %s: %w", filter, f.stream, err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		return err
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		msgs.Stop()
	}()
	if started != nil {
		started()
	}
	for {
		msg, err := msgs.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrMsgIteratorClosed) || ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := fn(followed(msg)); err != nil {
			return err
		}
	}
}

// followed is msg in the form every Follower gives: CloudEvents attributes
// as ce-<name> with the values the event has (the binding percent-encodes
// them), the content type once as content-type (the binding's
// ce-datacontenttype repeats it), and the bridge's own headers; JetStream's
// Nats-Msg-Id, which repeats ce-id, is left out.
func followed(msg jetstream.Msg) sinks.Stored {
	st := stored(msg)
	hs := st.Headers[:0]
	_, hasContentType := msg.Headers()[events.NATS.ContentType]
	for _, h := range st.Headers {
		switch {
		case strings.HasPrefix(h.Name, "Nats-"):
			continue
		case h.Name == events.NATS.DataContentType:
			if hasContentType {
				continue
			}
			h.Name = events.NATS.ContentType
		case strings.HasPrefix(h.Name, events.NATS.AttributePrefix):
			h.Value = DecodeAttribute(h.Value)
		}
		hs = append(hs, h)
	}
	st.Headers = hs
	return st
}
