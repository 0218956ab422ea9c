package natsjs

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/singleflight"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Sink)(nil)
	_ sinks.ReadinessChecker = (*Sink)(nil)
	_ sinks.LivenessChecker  = (*Sink)(nil)
)

// Sink publishes to JetStream, pipelining concurrent publishes over one
// connection: each Publish sends at once and waits only for its own ack.
type Sink struct {
	nc  *nats.Conn
	js  jetstream.JetStream
	cfg Config

	faults   faults
	recreate singleflight.Group
	// watchStop ends the watcher; watchDone is closed when it returned.
	watchStop, watchDone chan struct{}

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
	if err := c.Validate(); err != nil {
		return nil, err
	}
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
	s := &Sink{nc: nc, js: js, cfg: c, watchStop: make(chan struct{}), watchDone: make(chan struct{})}
	go s.watch()
	return s, nil
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

	if err := s.blocked(); err != nil {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w: %w", m.Topic, sinks.ErrUnavailable, err)
	}
	msg := &nats.Msg{Subject: m.Topic, Data: m.Body, Header: headers(m)}
	ack, err := s.publish(ctx, msg, m.ID)
	if errors.Is(err, jetstream.ErrNoStreamResponse) && s.nc.IsConnected() {
		// Nothing captures the subject: the stream may be gone (deleted,
		// or the server restarted with an empty store). Create it again
		// and try once more within the same deadline.
		if _, ierr := s.streamInfo(ctx); errors.Is(ierr, jetstream.ErrStreamNotFound) {
			if rerr := s.recreateStream(ctx); rerr == nil {
				ack, err = s.publish(ctx, msg, m.ID)
			}
		}
	}
	s.observe(ctx, err)
	if err != nil {
		return sinks.Ack{}, s.classify(m.Topic, err)
	}
	return ack, nil
}

func (s *Sink) publish(ctx context.Context, msg *nats.Msg, id string) (sinks.Ack, error) {
	future, err := s.js.PublishMsgAsync(msg,
		jetstream.WithMsgID(id),
		jetstream.WithExpectStream(s.cfg.Stream),
	)
	if err != nil {
		return sinks.Ack{}, err
	}
	s.faults.started()
	acked := false
	defer func() { s.faults.finished(acked) }()
	select {
	case ack := <-future.Ok():
		acked = true
		return sinks.Ack{Duplicate: ack.Duplicate}, nil
	case err := <-future.Err():
		return sinks.Ack{}, err
	case <-ctx.Done():
		// The message may still be stored; a retry carries the same
		// Nats-Msg-Id and is dropped as a duplicate.
		return sinks.Ack{}, fmt.Errorf("no ack: %w", ctx.Err())
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

// headers renders the CloudEvents NATS binding: attributes as ce-<name>,
// percent-encoded, datacontenttype as both ce-datacontenttype (the
// binding) and content-type (for clients that know only that). The map is
// built directly because nats.Header keys are case-sensitive and consumers
// look for these exact names.
func headers(m *sinks.Message) nats.Header {
	attrs := m.Attributes()
	h := make(nats.Header, len(attrs)+len(m.Headers)+3)
	for _, a := range attrs {
		h["ce-"+a.Name] = []string{encodeAttribute(a.Value)}
	}
	if m.Event != nil {
		h["ce-datacontenttype"] = []string{sinks.DataContentType}
		h["content-type"] = []string{sinks.DataContentType}
	}
	for _, x := range m.Headers {
		h[x.Name] = []string{x.Value}
	}
	return h
}

// Ready reports whether a publish can succeed now: connected, the stream
// answers (created again if it vanished), and no store fault lasts.
func (s *Sink) Ready(ctx context.Context) error { return s.check(ctx) }

// Live reports whether the process can still recover by itself; only an
// embedded server can make it fail.
func (s *Sink) Live() error {
	if s.cfg.Local == nil {
		return nil
	}
	return s.cfg.Local.Live()
}

// MaxPayload is the largest message the connected server accepts.
func (s *Sink) MaxPayload() int64 { return s.nc.MaxPayload() }

// ConnectedURL is the server the connection is on, for logs.
func (s *Sink) ConnectedURL() string { return s.nc.ConnectedUrlRedacted() }

// Close refuses new publishes, waits for those in progress and for
// outstanding acks (bounded by ctx), then drains the connection.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	alreadyClosing := s.closing
	s.closing = true
	s.mu.Unlock()
	if !alreadyClosing {
		close(s.watchStop)
		<-s.watchDone
	}
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
	if !s.nc.IsConnected() {
		// Reconnecting: there is nothing to drain (publishes fail at once
		// while disconnected), and the acks still awaited can no longer
		// come.
		s.nc.Close()
		return nil
	}
	drained := make(chan struct{})
	s.nc.SetClosedHandler(func(*nats.Conn) { close(drained) })
	if err := s.nc.Drain(); err != nil {
		s.nc.Close()
		return fmt.Errorf("draining the NATS connection: %w", err)
	}
	select {
	case <-drained:
		return nil
	case <-ctx.Done():
		s.nc.Close()
		return fmt.Errorf("closing NATS: %w", ctx.Err())
	}
}
