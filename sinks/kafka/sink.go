package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.Sink             = (*Sink)(nil)
	_ sinks.ReadinessChecker = (*Sink)(nil)
)

// Sink publishes to Kafka through one kafka-go Writer shared by all
// callers: each Publish writes one record and waits for that record's ack
// while concurrent publishes share produce requests.
type Sink struct {
	cfg       Config
	writer    *kafkago.Writer
	transport *kafkago.Transport
	client    *kafkago.Client
	topics    *topics
	dedup     *window
	ready     readiness

	// slots bounds records in the writer, released when kafka-go reports
	// their outcome, not when the caller stops waiting: a broker outage
	// must not pile up abandoned records in memory.
	slots chan struct{}
	// flightLimit bounds how long kafka-go may work on one record: all its
	// attempts, their timeouts and the backoff between them.
	flightLimit time.Duration

	// mu guards closed; publishers share its read lock, so they never wait
	// for one another, only for Close.
	mu      sync.RWMutex
	closed  bool
	flights sync.WaitGroup
	// cancel stops the transport's background metadata refresh.
	cancel context.CancelFunc
}

// Retry policy of the writer. kafka-go's defaults (10 attempts, backoff up
// to 1s, 10s per attempt) keep a batch retrying in the background for well
// over a minute after its callers gave up, and deliver it when the broker
// returns (segmentio/kafka-go#1427); the HTTP sender retries anyway, so a few
// quick attempts within the publish timeout are enough.
const (
	maxAttempts = 3
	backoffMin  = 20 * time.Millisecond
	backoffMax  = 200 * time.Millisecond
)

// Open validates c, connects, creates the dead-letter topic and the topics
// of c.KnownTypes when missing, and returns a ready Sink. It fails when the
// brokers cannot be reached or refuse the credentials before ctx ends.
func Open(ctx context.Context, c Config) (*Sink, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	c = c.withDefaults()
	mech, err := c.SASL.mechanism()
	if err != nil {
		return nil, err
	}
	tc, err := c.TLS.config()
	if err != nil {
		return nil, err
	}
	attempt := attemptTimeout(c.AckTimeout)
	bg, cancel := context.WithCancel(context.Background())
	transport := &kafkago.Transport{
		ClientID:    c.ClientID,
		DialTimeout: attempt,
		SASL:        mech,
		TLS:         tc,
		Context:     bg,
	}
	addr := kafkago.TCP(c.Brokers...)
	w := &kafkago.Writer{
		Addr:      addr,
		Transport: transport,
		// Murmur2 on the key, as the Java client's default partitioner,
		// so records of one key land on the partition other producers use
		// for it. kafka-go ports Java's murmur2 and its positive-modulo
		// (segmentio/kafka-go#142, #581). Consistent stays false: keyless
		// records (dead letters) spread at random instead of all hashing
		// to one partition, as librdkafka's murmur2_random.
		Balancer: kafkago.Murmur2Balancer{},
		// kafka-go's default is RequireNone, fire-and-forget
		// (segmentio/kafka-go#678): a 2xx would promise nothing.
		RequiredAcks: kafkago.RequireAll,
		// kafka-go's default of one second makes every lone request wait
		// that long (segmentio/kafka-go#1180, #326). A few milliseconds
		// still let concurrent publishes share a produce request: the
		// writer appends each WriteMessages call to the partition's open
		// batch, which is sent when full or when its timer fires.
		BatchTimeout:    c.BatchTimeout,
		MaxAttempts:     maxAttempts,
		WriteBackoffMin: backoffMin,
		WriteBackoffMax: backoffMax,
		ReadTimeout:     attempt,
		WriteTimeout:    attempt,
		// Async stays false: in async mode kafka-go drops delivery
		// errors, and a record could be reported stored when it is not.
		Async:       false,
		ErrorLogger: kafkago.LoggerFunc(func(format string, args ...any) { c.Log.Warn().Msgf(format, args...) }),
	}
	client := &kafkago.Client{Addr: addr, Transport: transport, Timeout: attempt}
	s := &Sink{
		cfg:       c,
		writer:    w,
		transport: transport,
		client:    client,
		topics: &topics{
			client:            client,
			partitions:        c.Partitions,
			replicationFactor: c.ReplicationFactor,
			known:             make(map[string]*topicFlight),
		},
		dedup:       newWindow(c.DedupSize, c.DedupAge),
		slots:       make(chan struct{}, c.MaxInFlight),
		flightLimit: maxAttempts*attempt + maxAttempts*backoffMax + time.Second,
		cancel:      cancel,
	}
	s.ready.probe = s.probe
	if err := s.ensureStartTopics(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// attemptTimeout splits the publish timeout over the attempts, so the last
// retry of a record ends about when its caller's deadline does.
func attemptTimeout(ack time.Duration) time.Duration {
	d := ack / maxAttempts
	if d < 100*time.Millisecond {
		d = 100 * time.Millisecond
	}
	return d
}

func (s *Sink) ensureStartTopics(ctx context.Context) error {
	names := append([]string{s.dlqTopic()}, s.knownTopics()...)
	for _, name := range names {
		if err := s.topics.ensure(ctx, name); err != nil {
			return fmt.Errorf("kafka at %v: %w", s.cfg.Brokers, err)
		}
	}
	return nil
}

func (s *Sink) dlqTopic() string { return s.cfg.Prefix + ".dlq" }

func (s *Sink) knownTopics() []string {
	ts := make([]string, len(s.cfg.KnownTypes))
	for i, t := range s.cfg.KnownTypes {
		ts[i] = s.cfg.Prefix + "." + t
	}
	return ts
}

// Publish writes m to m.Topic, creating the topic on first use, and returns
// once the broker acked the record with acks=all. A retry of an id stored
// within the dedup window, or a publish of an id already in flight, writes
// nothing new and returns Ack{Duplicate: true} once that record is stored.
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	for {
		if s.isClosed() {
			return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		}
		f, lead := s.dedup.join(m.ID)
		if lead {
			return sinks.Ack{}, s.lead(ctx, f, m)
		}
		select {
		case <-f.done:
			if f.err == nil {
				return sinks.Ack{Duplicate: true}, nil
			}
			// The first publish failed and is forgotten: publish again.
		case <-ctx.Done():
			return sinks.Ack{}, fmt.Errorf("publishing %s: waiting for the same event in flight: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
		}
	}
}

// lead publishes m for its flight and waits for the outcome or ctx. The
// flight outlives ctx: its outcome still decides whether the id is
// remembered, so a retry arriving while kafka-go is still trying joins it
// rather than writing a second record.
func (s *Sink) lead(ctx context.Context, f *flight, m *sinks.Message) error {
	if err := checkTopic(m.Topic); err != nil {
		// No retry can cure a name Kafka refuses.
		err = fmt.Errorf("publishing %q: not a Kafka topic name: %w", m.Topic, err)
		s.dedup.finish(f, err)
		return err
	}
	if err := s.topics.ensure(ctx, m.Topic); err != nil {
		err = fmt.Errorf("publishing %s: %w: %w", m.Topic, sinks.ErrUnavailable, err)
		s.dedup.finish(f, err)
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("publishing %s: %d records in flight: %w: %w", m.Topic, cap(s.slots), sinks.ErrUnavailable, ctx.Err())
		s.dedup.finish(f, err)
		return err
	}
	if !s.startFlight() {
		<-s.slots
		err := fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		s.dedup.finish(f, err)
		return err
	}
	go s.fly(f, record(m))
	select {
	case <-f.done:
		return f.err
	case <-ctx.Done():
		return fmt.Errorf("publishing %s: no ack: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
	}
}

func (s *Sink) fly(f *flight, r kafkago.Message) {
	defer s.flights.Done()
	ctx, cancel := context.WithTimeout(context.Background(), s.flightLimit)
	err := s.writer.WriteMessages(ctx, r)
	cancel()
	<-s.slots
	s.dedup.finish(f, classify(r.Topic, err))
}

// startFlight registers a flight unless the sink is closed; Close waits for
// registered flights before closing the writer.
func (s *Sink) startFlight() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return false
	}
	s.flights.Add(1)
	return true
}

func (s *Sink) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

// classify maps a kafka-go outcome to the sinks errors the handler answers
// by: too large is final (413), everything else may pass (503).
func classify(topic string, err error) error {
	if err == nil {
		return nil
	}
	var werrs kafkago.WriteErrors
	if errors.As(err, &werrs) && len(werrs) == 1 && werrs[0] != nil {
		err = werrs[0]
	}
	var tooLarge kafkago.MessageTooLargeError
	switch {
	case errors.As(err, &tooLarge), errors.Is(err, kafkago.MessageSizeTooLarge):
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrTooLarge, err)
	case errors.Is(err, io.ErrClosedPipe):
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrClosed, err)
	default:
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrUnavailable, err)
	}
}

// Close refuses new publishes, waits for the records in flight to be acked
// or failed (bounded by ctx), then closes the writer and its connections.
func (s *Sink) Close(ctx context.Context) error {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return nil
	}
	drained := make(chan struct{})
	go func() {
		s.flights.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-ctx.Done():
		// Records still in kafka-go end within flightLimit and report
		// failure to callers that still wait; closing the writer now
		// could hang on them (segmentio/kafka-go#1307).
		go func() {
			<-drained
			s.shutdown()
		}()
		return fmt.Errorf("closing kafka: %d records still in flight: %w", len(s.slots), ctx.Err())
	}
	closed := make(chan struct{})
	go func() {
		s.shutdown()
		close(closed)
	}()
	select {
	case <-closed:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("closing kafka: %w", ctx.Err())
	}
}

func (s *Sink) shutdown() {
	s.writer.Close()
	s.transport.CloseIdleConnections()
	s.cancel()
}

// Ready reports whether a publish can succeed now: a broker answers and
// the dead-letter topic is known. The answer is cached briefly so probes do
// not load the broker.
func (s *Sink) Ready(ctx context.Context) error {
	if s.isClosed() {
		return fmt.Errorf("kafka: %w", sinks.ErrClosed)
	}
	return s.ready.check(ctx)
}

// probeTimeout keeps one readiness probe well inside a kubelet probe's
// default timeout.
const probeTimeout = 800 * time.Millisecond

// probe asks a broker for its API versions over the writer's connections,
// which fails as soon as the broker is gone (the transport's metadata cache
// would keep answering from memory), and checks the dead-letter topic in
// that cache.
func (s *Sink) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := s.client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
		return fmt.Errorf("%w: no broker of %v answers: %w", sinks.ErrUnavailable, s.cfg.Brokers, err)
	}
	present, err := s.topics.cached(ctx, s.dlqTopic())
	if err != nil {
		return fmt.Errorf("%w: %w", sinks.ErrUnavailable, err)
	}
	if !present {
		return fmt.Errorf("%w: topic %s is missing", sinks.ErrUnavailable, s.dlqTopic())
	}
	return nil
}
