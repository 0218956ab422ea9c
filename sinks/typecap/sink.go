package typecap

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hirebridge/hirebridge/sinks"
)

var (
	_ sinks.ReadinessChecker = (*Sink)(nil)
	_ sinks.LivenessChecker  = (*Sink)(nil)
)

// recount is how long the broker's list of destinations is trusted while
// the cap is reached (or the list was never read): after it, the next
// event of a new type reads it again, so a topic an operator created or a
// replay published to is taken up without a restart, at the cost of one
// look at the broker per recount however many events are refused.
const recount = 30 * time.Second

// Sink is a sinks.Sink counting the undocumented destinations it publishes
// to against the cap.
type Sink struct {
	sinks.Sink
	max     int64
	exempt  map[string]struct{}
	metrics *Metrics
	cfg     Config

	// known holds every undocumented destination admitted or found on the
	// broker: read without a lock by every publish, written only under mu.
	known sync.Map
	// count is known's size; it grows only, under mu.
	count atomic.Int64
	// freshUntil is when the broker's list last read stops being trusted
	// (Unix nanoseconds); until then a publish to a new type is refused at
	// the cap without taking mu.
	freshUntil atomic.Int64

	// mu serializes admitting new destinations and reading the broker's
	// list, never publishes to known ones.
	mu sync.Mutex
	// listed is when the broker's list was last asked for, read or not;
	// seeded says it was read once; full says the cap was reached and
	// logged.
	listed time.Time
	seeded bool
	full   bool
}

// Wrap returns s behind the cap, counting what the broker holds already
// (within cfg.SeedTimeout; when the broker cannot say yet, such as a spool's
// broker still away, it is asked again at a new type once recount passed,
// and new types count against the cap meanwhile).
func Wrap(s sinks.Sink, cfg Config, m *Metrics) *Sink {
	c := &Sink{Sink: s, max: int64(cfg.Max), exempt: make(map[string]struct{}, len(cfg.Exempt)), metrics: m, cfg: cfg}
	for _, t := range cfg.Exempt {
		c.exempt[t] = struct{}{}
	}
	m.max.Set(float64(cfg.Max))
	timeout := cfg.SeedTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	c.mu.Lock()
	c.list(ctx)
	c.mu.Unlock()
	c.cfg.Log.Info().Int64("undocumented_types", c.count.Load()).Int("max", cfg.Max).
		Msg("undocumented event types with a destination on the broker, and the most " + Variable + " allows")
	if c.count.Load() > c.max {
		c.cfg.Log.Warn().Int64("undocumented_types", c.count.Load()).Int("max", cfg.Max).
			Msg("the broker holds more undocumented event types than " + Variable + " allows: they stay usable, and events of new ones go to the dead letters")
	}
	return c
}

// Publish passes m through when its destination is exempt or known, or
// new and within the cap; beyond the cap it refuses m for good, at once.
func (c *Sink) Publish(ctx context.Context, m *sinks.Message) (sinks.Ack, error) {
	if !c.admit(ctx, m.Topic) {
		c.metrics.refused.Inc()
		return sinks.Ack{}, &RefusedError{Topic: m.Topic, Max: c.max}
	}
	return c.Sink.Publish(ctx, m)
}

func (c *Sink) admit(ctx context.Context, topic string) bool {
	if _, ok := c.exempt[topic]; ok {
		return true
	}
	if _, ok := c.known.Load(topic); ok {
		return true
	}
	if c.count.Load() >= c.max && time.Now().UnixNano() < c.freshUntil.Load() {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.count.Load() >= c.max || !c.seeded {
		c.list(ctx)
	}
	if _, ok := c.known.Load(topic); ok {
		return true
	}
	if c.count.Load() >= c.max {
		if !c.full {
			c.full = true
			c.cfg.Log.Warn().Int64("max", c.max).Str("refused", topic).
				Msg("the cap on undocumented event types is reached: events of new types go to the dead letters (raise " + Variable + ", then `hirebridge replay -reason undeliverable`)")
		}
		return false
	}
	c.add(topic)
	return true
}

// list reads the broker's destinations into known, at most once per
// recount; the caller holds mu. A failure is retried at the next new type
// after recount; meanwhile new types count against the cap as they come.
func (c *Sink) list(ctx context.Context) {
	if !c.listed.IsZero() && time.Since(c.listed) < recount {
		return
	}
	c.listed = time.Now()
	d, ok := c.Sink.(sinks.Destinations)
	if !ok {
		c.seeded = true
		c.markFresh()
		return
	}
	names, err := d.Destinations(ctx)
	if err != nil {
		c.cfg.Log.Debug().Err(err).Msg("the broker's destinations could not be listed; asked again later")
		return
	}
	for _, t := range names {
		if _, ok := c.exempt[t]; ok {
			continue
		}
		if _, ok := c.known.Load(t); !ok {
			c.add(t)
		}
	}
	c.seeded = true
	c.markFresh()
}

// markFresh lets refusals skip mu until recount passes.
func (c *Sink) markFresh() {
	c.freshUntil.Store(c.listed.Add(recount).UnixNano())
}

func (c *Sink) add(topic string) {
	c.known.Store(topic, struct{}{})
	c.metrics.known.Set(float64(c.count.Add(1)))
}

// Ready passes through to the wrapped sink; a sink that cannot tell is
// taken as ready.
func (c *Sink) Ready(ctx context.Context) error {
	if rc, ok := c.Sink.(sinks.ReadinessChecker); ok {
		return rc.Ready(ctx)
	}
	return nil
}

// Live passes through to the wrapped sink; a sink that cannot tell is
// taken as live.
func (c *Sink) Live() error {
	if lc, ok := c.Sink.(sinks.LivenessChecker); ok {
		return lc.Live()
	}
	return nil
}
