package natsjs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Sink)(nil)
	_ sinks.ReadinessChecker = (*Sink)(nil)
)

// Sink publishes to JetStream, pipelining concurrent publishes over one
// connection: each Publish sends at once and waits only for its own ack.
type Sink struct {
	nc     *nats.Conn
	js     jetstream.JetStream
	stream string

	// closing refuses new publishes once Close starts; pending counts the
	// publishes Close must wait for before it drains the connection, which
	// would drop the acks they wait on. Publishers share the read lock, so
	// they never wait for one another.
	mu      sync.RWMutex
	closing bool
	pending sync.WaitGroup
}

// Open connects, makes sure the stream exists and captures the prefix, and
// returns a ready Sink.
func Open(ctx context.Context, c Config) (*Sink, error) {
	nc, err := c.Connect("hirebridge")
	if err != nil {
		return nil, err
	}
	js, err := jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(c.MaxPending),
		jetstream.WithPublishAsyncTimeout(c.AckTimeout),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("opening JetStream: %w", err)
	}
	if err := ensureStream(ctx, js, c); err != nil {
		nc.Close()
		return nil, err
	}
	return &Sink{nc: nc, js: js, stream: c.Stream}, nil
}

// Publish sends m with Nats-Msg-Id set to m.ID and waits for the PubAck.
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	s.mu.RLock()
	if s.closing {
		s.mu.RUnlock()
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
	}
	s.pending.Add(1)
	s.mu.RUnlock()
	defer s.pending.Done()

	msg := &nats.Msg{Subject: m.Topic, Data: m.Body, Header: headers(m)}
	future, err := s.js.PublishMsgAsync(msg,
		jetstream.WithMsgID(m.ID),
		jetstream.WithExpectStream(s.stream),
	)
	if err != nil {
		return sinks.Ack{}, s.classify(m.Topic, err)
	}
	select {
	case ack := <-future.Ok():
		return sinks.Ack{Duplicate: ack.Duplicate}, nil
	case err := <-future.Err():
		return sinks.Ack{}, s.classify(m.Topic, err)
	case <-ctx.Done():
		// The message may still be stored; a retry carries the same
		// Nats-Msg-Id and is dropped as a duplicate.
		return sinks.Ack{}, fmt.Errorf("publishing %s: no ack: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
	}
}

func (s *Sink) classify(topic string, err error) error {
	switch {
	case errors.Is(err, nats.ErrMaxPayload):
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrTooLarge, err)
	case errors.Is(err, nats.ErrConnectionClosed):
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrClosed, err)
	default:
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrUnavailable, err)
	}
}

// headers renders the CloudEvents NATS binding: attributes as ce-<name>.
// The map is built directly because nats.Header keys are case-sensitive and
// consumers look for these exact names.
func headers(m *sinks.Message) nats.Header {
	attrs := m.Attributes()
	h := make(nats.Header, len(attrs)+len(m.Headers)+2)
	for _, a := range attrs {
		h["ce-"+a.Name] = []string{a.Value}
	}
	if m.Event != nil {
		h["content-type"] = []string{sinks.DataContentType}
	}
	for _, x := range m.Headers {
		h[x.Name] = []string{x.Value}
	}
	return h
}

// Ready reports whether a publish can succeed now: connected, and the stream
// answers.
func (s *Sink) Ready(ctx context.Context) error {
	if !s.nc.IsConnected() {
		return fmt.Errorf("%w: NATS connection is %s", sinks.ErrUnavailable, s.nc.Status())
	}
	if _, err := s.js.Stream(ctx, s.stream); err != nil {
		return fmt.Errorf("%w: stream %s: %w", sinks.ErrUnavailable, s.stream, err)
	}
	return nil
}

// MaxPayload is the largest message the connected server accepts.
func (s *Sink) MaxPayload() int64 { return s.nc.MaxPayload() }

// ConnectedURL is the server the connection is on, for logs.
func (s *Sink) ConnectedURL() string { return s.nc.ConnectedUrlRedacted() }

// Close refuses new publishes, waits for those in progress and for
// outstanding acks (bounded by ctx), then drains the connection.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	if s.nc.IsClosed() {
		// Acks still outstanding can no longer arrive: waiting for them
		// would only run out ctx.
		return nil
	}
	published := make(chan struct{})
	go func() {
		s.pending.Wait()
		close(published)
	}()
	select {
	case <-published:
	case <-ctx.Done():
	}
	select {
	case <-s.js.PublishAsyncComplete():
	case <-ctx.Done():
	}
	drained := make(chan struct{})
	s.nc.SetClosedHandler(func(*nats.Conn) { close(drained) })
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
		return nil
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		s.nc.Close()
		return fmt.Errorf("closing NATS: %w", ctx.Err())
	}
}
