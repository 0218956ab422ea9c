package kafka

import (
	"context"
	"errors"
	"fmt"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/internal/closing"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Sink)(nil)
	_ sinks.ReadinessChecker = (*Sink)(nil)
)

// Sink publishes to Kafka through its producer (producer.go): each Publish
// writes one record and waits for that record's ack while concurrent
// publishes share produce requests.
type Sink struct {
	cfg      Config
	producer *producer
	// codec is the producer's compression, for a record written alone.
	codec     kafkago.Compression
	transport *kafkago.Transport
	client    *kafkago.Client
	topics    *topics
	leaders   *leaders
	dedup     *window
	resolver  *resolver
	ready     readiness

	// slots bounds records in the writer, released when kafka-go reports
	// their outcome, not when the caller stops waiting: a broker outage
	// must not pile up abandoned records in memory.
	slots chan struct{}

	// gate counts the records in flight, from their slot to their
	// outcome, and refuses new ones once Close starts.
	gate closing.Gate
	// conns are the transport's connections, which Close ends.
	conns *connections
	// cancel stops the transport's background metadata refresh.
	cancel context.CancelFunc
}

// Open validates c, connects, creates the dead-letter topic and the topics
// of c.KnownTypes when missing, and returns a ready Sink. It fails when the
// brokers cannot be reached or refuse the credentials before ctx ends.
func Open(ctx context.Context, c Config) (*Sink, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	codec, err := compression(c.Compression)
	if err != nil {
		return nil, err
	}
	attempt := attemptTimeout(c.AckTimeout)
	transport, cancel, err := c.transport(attempt)
	if err != nil {
		return nil, err
	}
	conns := newConnections()
	transport.Dial = conns.dial
	addr := kafkago.TCP(c.Brokers...)
	client := &kafkago.Client{Addr: addr, Transport: transport, Timeout: attempt}
	dedup := newWindow(c.DedupSize, c.DedupAge)
	s := &Sink{
		cfg:       c,
		producer:  newProducer(client, codec, c.Log),
		codec:     codec,
		transport: transport,
		client:    client,
		leaders:   &leaders{client: client},
		dedup:     dedup,
		resolver:  newResolver(client, dedup, c.Log, attempt),
		slots:     make(chan struct{}, c.MaxInFlight),
		conns:     conns,
		cancel:    cancel,
	}
	s.ready.probe = s.probe
	if err := s.makeTopics(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// makeTopics chooses the replication factor of the topics the sink
// creates, says it, and creates the start topics that are missing.
func (s *Sink) makeTopics(ctx context.Context) error {
	configured, err := s.cfg.replicationFactor()
	if err != nil {
		return err
	}
	r, err := chooseReplication(ctx, s.client, configured)
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	if err != nil {
		return fmt.Errorf("kafka at %v: %w", s.cfg.Brokers, err)
	}
	creates, _ := s.cfg.createsTopics()
	s.topics = newTopics(s.client, s.cfg.Partitions, r, s.cfg.Log, creates)
	if creates {
		r.logTo(s.cfg.Log.Info().Int("partitions", s.cfg.Partitions)).
			Msg("topics the bridge creates get these settings; existing topics are used as they are")
	}
	var missing []string
	for _, name := range s.startTopics() {
		err := s.topics.ensure(ctx, name)
		if !creates && errors.Is(err, sinks.ErrRefused) {
			missing = append(missing, name)
			continue
		}
		if errors.Is(err, kafkago.InvalidReplicationFactor) {
			return refusedReplication(ctx, s.client, r, err)
		}
		if err != nil {
			return fmt.Errorf("kafka at %v: %w", s.cfg.Brokers, err)
		}
	}
	if len(missing) > 0 {
		s.cfg.Log.Warn().Strs("missing", missing).
			Msg("HIREBRIDGE_KAFKA_CREATE_TOPICS is false and these topics do not exist: create them. Until then their events go to the dead letters, and readiness fails while the dead letters' topic is missing")
	}
	return nil
}

func (s *Sink) dlqTopic() string { return events.DeadLetterSubject(s.cfg.Prefix) }

// startTopics are the dead-letter topic and the topics of the known types.
func (s *Sink) startTopics() []string {
	ts := make([]string, 0, 1+len(s.cfg.KnownTypes))
	ts = append(ts, s.dlqTopic())
	for _, t := range s.cfg.KnownTypes {
		ts = append(ts, events.Subject(s.cfg.Prefix, t))
	}
	return ts
}
