package kafka

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
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
	resolver  *resolver
	ready     readiness

	// slots bounds records in the writer, released when kafka-go reports
	// their outcome, not when the caller stops waiting: a broker outage
	// must not pile up abandoned records in memory.
	slots chan struct{}

	// mu guards closed; publishers share its read lock, so they never wait
	// for one another, only for Close.
	mu      sync.RWMutex
	closed  bool
	flights sync.WaitGroup
	// cancel stops the transport's background metadata refresh.
	cancel context.CancelFunc
}

// Retry policy. kafka-go makes one attempt per write (Writer.MaxAttempts 1):
// its own retries resend a batch whose first attempt timed out, and a
// broker that was only slow then stores it twice (writer.go,
// partitionWriter.writeBatch retries any temporary or network error,
// timeouts included). The sink writes again only after a failure that
// stored nothing (the broker refused the record, or it was never sent), at
// most maxTries times within the publish's deadline; a write whose answer
// never came is settled by reading the partition back (resolve.go). The
// HTTP sender's retry is the retry for everything else.
const (
	maxTries   = 3
	backoffMin = 20 * time.Millisecond
	backoffMax = 200 * time.Millisecond
)

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
	// Transport and Client have no logger: kafka-go reports their errors
	// only as return values. The Writer's two loggers are its only
	// callbacks that print (kafka-go's log.Printf calls are in Reader,
	// ConsumerGroup and Conn batch reading, which the sink does not use).
	transport, cancel, err := c.transport(attempt)
	if err != nil {
		return nil, err
	}
	addr := kafkago.TCP(c.Brokers...)
	log := c.Log
	w := &kafkago.Writer{
		Addr:      addr,
		Transport: transport,
		// Murmur2 on the key, as the Java client's default partitioner,
		// so records of one key land on the partition other producers use
		// for it. kafka-go ports Java's murmur2 and its positive-modulo
		// (segmentio/kafka-go#142, #581). Consistent stays false: keyless
		// records (dead letters) spread at random instead of all hashing
		// to one partition, as librdkafka's murmur2_random. The wrapper
		// notes the partition picked, for read-backs.
		Balancer: partitionRecorder{},
		// kafka-go's default is RequireNone, fire-and-forget
		// (segmentio/kafka-go#678): a 2xx would promise nothing.
		RequiredAcks: kafkago.RequireAll,
		// kafka-go's default of one second makes every lone request wait
		// that long (segmentio/kafka-go#1180, #326). A few milliseconds
		// still let concurrent publishes share a produce request: the
		// writer appends each WriteMessages call to the partition's open
		// batch, which is sent when full or when its timer fires.
		BatchTimeout: c.BatchTimeout,
		Compression:  codec,
		MaxAttempts:  1,
		// The one attempt may take the whole publish timeout: Writer.produce
		// bounds each produce request by WriteTimeout.
		ReadTimeout:  attempt,
		WriteTimeout: attempt,
		// Async stays false: in async mode kafka-go drops delivery
		// errors, and a record could be reported stored when it is not.
		Async:       false,
		Logger:      kafkago.LoggerFunc(func(format string, args ...any) { log.Trace().Msgf(format, args...) }),
		ErrorLogger: kafkago.LoggerFunc(func(format string, args ...any) { log.Warn().Msgf(format, args...) }),
	}
	client := &kafkago.Client{Addr: addr, Transport: transport, Timeout: attempt}
	dedup := newWindow(c.DedupSize, c.DedupAge)
	s := &Sink{
		cfg:       c,
		writer:    w,
		transport: transport,
		client:    client,
		topics:    newTopics(client, c.Partitions, c.ReplicationFactor, log),
		dedup:     dedup,
		resolver:  newResolver(client, dedup, log, attempt),
		slots:     make(chan struct{}, c.MaxInFlight),
		cancel:    cancel,
	}
	s.ready.probe = s.probe
	if err := s.ensureStartTopics(ctx); err != nil {
		s.shutdown()
		return nil, err
	}
	return s, nil
}

// transport connects to the brokers with c's client id, SASL and TLS;
// cancel stops its background metadata refresh.
func (c Config) transport(dialTimeout time.Duration) (*kafkago.Transport, context.CancelFunc, error) {
	mech, err := c.SASL.mechanism()
	if err != nil {
		return nil, nil, err
	}
	tc, err := c.TLS.config()
	if err != nil {
		return nil, nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	return &kafkago.Transport{
		ClientID:    c.ClientID,
		DialTimeout: dialTimeout,
		SASL:        mech,
		TLS:         tc,
		Context:     bg,
	}, cancel, nil
}

// attemptTimeout is how long one produce request may go unanswered: the
// publish timeout, so an answer arriving before the caller gives up is
// never thrown away.
func attemptTimeout(ack time.Duration) time.Duration {
	return max(ack, 100*time.Millisecond)
}

func (s *Sink) ensureStartTopics(ctx context.Context) error {
	for _, name := range s.startTopics() {
		if err := s.topics.ensure(ctx, name); err != nil {
			return fmt.Errorf("kafka at %v: %w", s.cfg.Brokers, err)
		}
	}
	return nil
}

func (s *Sink) dlqTopic() string { return sinks.DeadLetterTopic(s.cfg.Prefix) }

// startTopics are the dead-letter topic and the topics of the known types.
func (s *Sink) startTopics() []string {
	ts := make([]string, 0, 1+len(s.cfg.KnownTypes))
	ts = append(ts, s.dlqTopic())
	for _, t := range s.cfg.KnownTypes {
		ts = append(ts, sinks.Topic(s.cfg.Prefix, t))
	}
	return ts
}

// Publish writes m to m.Topic, creating the topic on first use (and again
// if it disappeared), and returns once the broker acked the record with
// acks=all.
//
// The answer is Ack{Duplicate: true} only when an earlier publish of m.ID
// was already answered as stored. A publish of an id whose write is in
// flight, or whose write got no answer, waits for that write's outcome,
// settled by a read-back for the latter (bounded by ctx): it never writes a
// second record while the first may yet be stored.
func (s *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if err := checkTopic(m.Topic); err != nil {
		// No retry can cure a name Kafka refuses (the broker would answer
		// INVALID_TOPIC_EXCEPTION), and other topics are still written.
		return sinks.Ack{}, fmt.Errorf("publishing %q: not a Kafka topic name: %w: %w", m.Topic, sinks.ErrRefused, err)
	}
	for {
		if s.isClosed() {
			return sinks.Ack{}, fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		}
		e, o, r := s.dedup.join(m.ID)
		switch r {
		case fresh:
			return sinks.Ack{}, nil
		case duplicate:
			return sinks.Ack{Duplicate: true}, nil
		case lead:
			if err := s.start(ctx, e, o, m); err != nil {
				return sinks.Ack{}, err
			}
		}
		leader := r == lead
		select {
		case <-o.done:
		case <-ctx.Done():
			if leader {
				if s.dedup.stopLeading(o) {
					return sinks.Ack{}, nil
				}
				return sinks.Ack{}, fmt.Errorf("publishing %s: no ack: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
			}
			return sinks.Ack{}, fmt.Errorf("publishing %s: waiting for the outcome of an earlier write of the same event: %w: %w", m.Topic, sinks.ErrUnavailable, ctx.Err())
		}
		switch err := o.err; {
		case err == nil:
			return sinks.Ack{Duplicate: s.dedup.claim(e, o, leader) == duplicate}, nil
		case errors.Is(err, errUnknownOutcome), errors.Is(err, errNotStored):
			// Wait for the read-back, or write the record again.
		case leader, sinks.Permanent(err), errors.Is(err, sinks.ErrClosed):
			// The leader's write already retried what could be, and no
			// write of a refused record can pass.
			return sinks.Ack{}, err
		}
		// Another caller's write failed and stored nothing: write again.
	}
}

// start launches the write of m for op o, which the caller leads: it makes
// sure the topic exists and takes an in-flight slot, both bounded by ctx.
// The write itself outlives ctx: its outcome still decides whether the id
// is remembered, so a retry arriving while kafka-go is still waiting joins
// it rather than writing a second record.
func (s *Sink) start(ctx context.Context, e *entry, o *op, m *sinks.Message) error {
	if err := s.topics.ensure(ctx, m.Topic); err != nil {
		// A topic the broker refuses to create (authorization, policy,
		// name, settings) is final for this record; a broker that does
		// not answer is not.
		err = classify(m.Topic, err)
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	select {
	case s.slots <- struct{}{}:
	case <-ctx.Done():
		err := fmt.Errorf("publishing %s: %d records in flight: %w: %w", m.Topic, cap(s.slots), sinks.ErrUnavailable, ctx.Err())
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	if !s.startFlight() {
		<-s.slots
		err := fmt.Errorf("publishing %s: %w", m.Topic, sinks.ErrClosed)
		s.dedup.finishWrite(e, o, notWritten, err)
		return err
	}
	deadline := time.Now().Add(s.cfg.AckTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	go s.fly(e, o, record(m), m.Event != nil, deadline)
	return nil
}

// attempt travels with a record through kafka-go as its WriterData: the
// balancer notes the partition there. Balance runs in the goroutine that
// calls WriteMessages (writer.go, WriteMessages), so no lock is needed.
type attempt struct{ partition int }

// partitionRecorder is the Java-compatible murmur2 balancer, noting the
// partition it picks.
type partitionRecorder struct{ kafkago.Murmur2Balancer }

func (b partitionRecorder) Balance(msg kafkago.Message, partitions ...int) int {
	p := b.Murmur2Balancer.Balance(msg, partitions...)
	if a, ok := msg.WriterData.(*attempt); ok {
		a.partition = p
	}
	return p
}

// fly writes r until it is stored, fails, or its outcome is unknown, then
// settles o. It retries, before deadline, only failures that stored
// nothing, creating the topic again when the broker lost it.
func (s *Sink) fly(e *entry, o *op, r kafkago.Message, hasCE bool, deadline time.Time) {
	defer s.flights.Done()
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	backoff := backoffMin
	for try := 1; ; try++ {
		a := &attempt{partition: -1}
		r.WriterData = a
		// The timestamp a read-back searches from.
		r.Time = time.Now()
		// Not ctx: WriteMessages returns early when its context ends while
		// the record is still queued, to be sent later (writer.go,
		// WriteMessages "case <-done"). Without a deadline it returns
		// when kafka-go is done with the record: one produce request,
		// bounded by WriteTimeout, after the batches before it.
		err := s.writer.WriteMessages(context.Background(), r)
		how, cause := judge(err)
		if how == notWritten && brokerTooLarge(cause) {
			// The broker's limit is on the batch, which may have held
			// other records: only r alone being refused makes r too
			// large.
			err = s.writeAlone(ctx, r, a.partition)
			how, cause = judge(err)
		}
		if how == unknown && a.partition < 0 {
			// Never balanced, so never batched nor sent.
			how = notWritten
		}
		if how == notWritten && retryable(cause) && try < maxTries && ctx.Err() == nil {
			if errors.Is(cause, kafkago.UnknownTopicOrPartition) {
				// Deleted, or the broker lost its store: create it
				// again with its settings, then write.
				s.topics.invalidate(r.Topic)
				s.ready.reset()
				if err := s.topics.ensure(ctx, r.Topic); err != nil {
					// Refused for good, or no answer in time:
					// either way this write ends, classified.
					<-s.slots
					s.dedup.finishWrite(e, o, notWritten, classify(r.Topic, err))
					return
				}
				continue
			}
			select {
			case <-time.After(backoff):
				backoff = min(2*backoff, backoffMax)
				continue
			case <-ctx.Done():
			}
		}
		<-s.slots
		if next := s.dedup.finishWrite(e, o, how, classify(r.Topic, err)); next != nil {
			s.resolver.add(topicPartition{r.Topic, a.partition}, e, next, r, hasCE)
		}
		return
	}
}

// judge tells from a WriteMessages error whether the record was stored, was
// certainly not, or may have been; cause is the error of the record's
// batch, or err itself when the record was never batched.
func judge(err error) (how outcome, cause error) {
	if err == nil {
		return written, nil
	}
	var werrs kafkago.WriteErrors
	if !errors.As(err, &werrs) || len(werrs) != 1 || werrs[0] == nil {
		// Refused before batching (writer.go, WriteMessages): too large,
		// topic unknown to the metadata cache, writer closed.
		return notWritten, err
	}
	cause = werrs[0]
	var code kafkago.Error
	if errors.As(cause, &code) {
		switch code {
		case kafkago.RequestTimedOut, kafkago.NotEnoughReplicasAfterAppend, kafkago.KafkaStorageError:
			// The leader may have appended the record before failing.
			return unknown, cause
		default:
			// The broker answered with an error: nothing was appended
			// (or the broker was never reached: BrokerNotAvailable,
			// SASL failures).
			return notWritten, cause
		}
	}
	var op *net.OpError
	if errors.As(cause, &op) && op.Op == "dial" {
		return notWritten, cause
	}
	// A timeout, a reset or EOF after the request may have been sent.
	return unknown, cause
}

// retryable reports whether writing the record again may pass: not when
// the broker refused it for good (refusals.go), nor once the writer is
// closed.
func retryable(cause error) bool {
	return permanence(cause) == nil && !errors.Is(cause, io.ErrClosedPipe)
}

// writeAlone writes r by itself to partition p, outside the writer's
// batches, and reports the outcome as WriteMessages reports a batch's (a
// WriteErrors of one), for judge. Nothing of the refused batch was stored,
// so this is the record's only copy.
func (s *Sink) writeAlone(ctx context.Context, r kafkago.Message, p int) error {
	if err := ctx.Err(); err != nil {
		// Not sent: whether r alone fits is unknown, and a later try may
		// pass.
		return fmt.Errorf("no time left to write the record alone after its batch was too large: %w", err)
	}
	res, err := s.client.Produce(ctx, &kafkago.ProduceRequest{
		Topic:        r.Topic,
		Partition:    p,
		RequiredAcks: kafkago.RequireAll,
		Compression:  s.writer.Compression,
		Records: kafkago.NewRecordReader(kafkago.Record{
			Time:    r.Time,
			Key:     kafkago.NewBytes(r.Key),
			Value:   kafkago.NewBytes(r.Value),
			Headers: r.Headers,
		}),
	})
	if err == nil {
		err = res.Error
	}
	if err == nil {
		return nil
	}
	return kafkago.WriteErrors{err}
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

// classify maps a kafka-go outcome, of a write or of making its topic, to
// the sinks errors the handler answers by: too large (413) and refused (the
// dead letters) are final for this record (refusals.go); everything else
// may pass (503). The result wraps err, which carries the broker's code and
// words.
func classify(topic string, err error) error {
	if err == nil {
		return nil
	}
	err = recordErr(err)
	if errors.Is(err, io.ErrClosedPipe) {
		return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrClosed, err)
	}
	if final := permanence(err); final != nil {
		return fmt.Errorf("publishing %s: %w: %w", topic, final, err)
	}
	return fmt.Errorf("publishing %s: %w: %w", topic, sinks.ErrUnavailable, err)
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
		// Records still in kafka-go end within the attempt timeout (after
		// the batches queued before them) and report failure to callers
		// that still wait; closing the writer now could hang on them
		// (segmentio/kafka-go#1307).
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
	// Read-backs in progress end first: their ids are forgotten.
	s.resolver.close()
	s.writer.Close()
	s.transport.CloseIdleConnections()
	s.cancel()
}

// Ready reports whether a publish can succeed now: a broker answers, and
// every topic the sink publishes to exists on the broker or could be
// created again just now, save a topic of an event type other than the
// known ones that the broker refuses for good (its publishes are refused,
// the others still pass). The answer is cached briefly so probes do not
// load the broker.
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
// would keep answering from memory), then asks the broker whether each
// topic the sink created or uses exists, creating again those it lost
// (topics.verify): a broker restarted without its store is ready again as
// soon as the topics are back, without waiting for a publish that a
// not-ready instance would not get.
func (s *Sink) probe(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := s.client.ApiVersions(ctx, &kafkago.ApiVersionsRequest{}); err != nil {
		return fmt.Errorf("%w: no broker of %v answers: %w", sinks.ErrUnavailable, s.cfg.Brokers, err)
	}
	names := s.topics.checked()
	start := s.startTopics()
	for _, name := range start {
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	// Only the start topics must be there: a topic of one other event
	// type that the broker refuses must not keep the sink unready for
	// every type.
	required := func(name string) bool { return slices.Contains(start, name) }
	if err := s.topics.verify(ctx, names, required); err != nil {
		return fmt.Errorf("%w: %w", sinks.ErrUnavailable, err)
	}
	return nil
}
