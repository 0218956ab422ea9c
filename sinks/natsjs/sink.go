package natsjs

import (
	"context"
	"fmt"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/sync/singleflight"

	"github.com/hirebridge/hirebridge/internal/closing"
	"github.com/hirebridge/hirebridge/schema/events"
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
	leader   leaderWatch
	recreate singleflight.Group
	// lookups shares one look at the stream among concurrent publishes
	// that found no leader.
	lookups singleflight.Group
	seen    *seen
	// denied are the subjects the server refused this connection to
	// publish to (denied.go).
	denied *denials
	// window says which stream the ids in seen were acknowledged by.
	window window
	// alive ends when Close begins; stopWatch ends it, which ends the
	// watcher and a check it is making, and a look at the stream that
	// publishes share (resend.go); watchDone is closed when the watcher
	// returned.
	alive     context.Context
	stopWatch context.CancelFunc
	watchDone chan struct{}
	// checkNow asks the watcher for a check at once, such as after
	// publishes without acks on a replicated stream (fault.go).
	checkNow chan struct{}

	// gate refuses new publishes once Close starts, and lets Close wait
	// for those in progress before it drains the connection, which would
	// drop the acks they wait on.
	gate closing.Gate
}

// Open connects, makes sure the stream exists and captures the prefix, and
// returns a ready Sink.
func Open(ctx context.Context, c Config) (*Sink, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	denied := newDenials()
	nc, err := c.connect("hirebridge", onAsyncError(denied.record))
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
	alive, stopWatch := context.WithCancel(context.Background())
	s := &Sink{nc: nc, js: js, cfg: c, denied: denied, seen: newSeen(c.RememberIDs, c.RememberFor), alive: alive, stopWatch: stopWatch, watchDone: make(chan struct{}), checkNow: make(chan struct{}, 1)}
	if info, err := s.streamInfo(ctx); err == nil {
		s.confirmWindow(info)
		s.leader.saw(info)
	}
	go s.watch(alive)
	return s, nil
}

// Publish sends m with Nats-Msg-Id set to m.ID and waits for the PubAck,
// sending again while the stream changes leader (resend.go).
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if !s.gate.Enter() {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
	}
	defer s.gate.Leave()

	if s.rememberedDuplicate(ctx, m.ID) {
		// This stream acknowledged this id: a re-sent event.
		return sinks.Ack{Duplicate: true}, nil
	}
	if err := s.blocked(); err != nil {
		return sinks.Ack{}, fmt.Errorf("publishing %s: %w: %w", m.Topic, sinks.ErrUnavailable, err)
	}
	msg := &nats.Msg{Subject: m.Topic, Data: m.Body, Header: headers(m, s.cfg.Stream)}
	ack, err := s.publish(ctx, msg)
	s.observe(ctx, err)
	if err != nil {
		return sinks.Ack{}, s.classify(m.Topic, err)
	}
	s.seen.add(m.ID)
	return ack, nil
}

func (s *Sink) classify(topic string, err error) error { return classifyPublish(topic, err) }

// headers renders the CloudEvents NATS binding: attributes as ce-<name>,
// percent-encoded, datacontenttype as both ce-datacontenttype (the
// binding) and content-type (for clients that know only that); then
// Nats-Msg-Id, which JetStream dedupes on, and Nats-Expected-Stream, so a
// subject captured by another stream is an error rather than a silent
// store elsewhere. The map is built directly because nats.Header keys are
// case-sensitive and consumers look for these exact names; every value's
// one-element slice shares one array, so a message costs two allocations
// for its headers rather than one per header.
func headers(m *sinks.Message, stream string) nats.Header {
	attrs := m.Attributes()
	n := len(attrs) + len(m.Headers) + 4
	h := make(nats.Header, n)
	values := make([]string, 0, n)
	set := func(name, value string) {
		values = append(values, value)
		h[name] = values[len(values)-1 : len(values) : len(values)]
	}
	for _, a := range attrs {
		set(attributeHeader(a.Name), encodeAttribute(a.Value))
	}
	if m.Event != nil {
		set(events.NATS.DataContentType, events.DataContentType)
		set(events.NATS.ContentType, events.DataContentType)
	}
	for _, x := range m.Headers {
		set(x.Name, x.Value)
	}
	set(jetstream.MsgIDHeader, m.ID)
	set(jetstream.ExpectedStreamHeader, stream)
	return h
}

// attributeHeader is "ce-" and the attribute's name, without a
// concatenation for the attributes every event has.
func attributeHeader(name string) string {
	switch name {
	case "specversion":
		return events.NATS.SpecVersion
	case "id":
		return events.NATS.ID
	case "source":
		return events.NATS.Source
	case "type":
		return events.NATS.Type
	case "time":
		return events.NATS.Time
	case "subject":
		return events.NATS.Subject
	case "dataschema":
		return events.NATS.DataSchema
	}
	return events.NATS.AttributePrefix + name
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
