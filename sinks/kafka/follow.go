package kafka

import (
	"context"
	"errors"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"

	"github.com/hirebridge/hirebridge/internal/backoff"
	"github.com/hirebridge/hirebridge/sinks"
)

// Following pace: how long a fetch waits for records at a partition's end,
// and the shortest and longest waits before asking a broker that is away
// again.
const (
	followMaxWait    = 500 * time.Millisecond
	followBackoffMin = 100 * time.Millisecond
	followBackoffMax = 2 * time.Second
)

// Follow calls fn for each record of the topics that match, as they
// arrive, until ctx ends: from each partition's start with fromStart, else
// from its end as Follow began. Topics created while it runs (a new event
// type's) are followed from their start. Records of one partition come in
// order; partitions interleave.
//
// Each partition is fetched by a goroutine of its own; Follow returns only
// once every one of them has ended, so none outlives it to fetch from a
// Reader its caller closes next.
func (r *Reader) Follow(ctx context.Context, match func(topic string) bool, fromStart bool, fn func(sinks.Stored) error) error {
	ctx, cancel := context.WithCancel(ctx)
	var partitions sync.WaitGroup
	// Deferred calls run last first: cancel stops the goroutines, then
	// Follow waits for them.
	defer partitions.Wait()
	defer cancel()
	out := make(chan sinks.Stored)
	gone := make(chan string, 16)
	followed := map[string]bool{}
	start := func(first bool) error {
		names, err := r.Topics(ctx)
		if err != nil {
			return err
		}
		for _, name := range names {
			if followed[name] || !match(name) {
				continue
			}
			parts, err := r.partitions(ctx, name)
			if err != nil {
				continue // deleted meanwhile; the next listing tells
			}
			q := kafkago.FirstOffsetOf
			if first && !fromStart {
				q = kafkago.LastOffsetOf
			}
			offs, err := r.offsets(ctx, name, parts, q)
			if err != nil {
				if first {
					return err
				}
				continue
			}
			followed[name] = true
			for _, p := range parts {
				partitions.Go(func() { r.followPartition(ctx, name, p, offs[p], out, gone) })
			}
		}
		return nil
	}
	if err := start(true); err != nil {
		return err
	}
	relist := time.NewTicker(readMetadataTTL)
	defer relist.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case st := <-out:
			if err := fn(st); err != nil {
				return err
			}
		case name := <-gone:
			// Deleted: followed again from its start once it is back.
			delete(followed, name)
		case <-relist.C:
			_ = start(false) // a broker away now is asked again next tick
		}
	}
}

// followPartition sends tp's records from off to out until ctx ends, or
// the topic is gone. A broker away is waited for; records removed by
// retention before they were read are skipped.
func (r *Reader) followPartition(ctx context.Context, topic string, p int, off int64, out chan<- sinks.Stored, gone chan<- string) {
	retry := backoff.New(followBackoffMin, followBackoffMax)
	for ctx.Err() == nil {
		next, _, err := r.fetch(ctx, topic, p, off, followMaxWait, func(st sinks.Stored, _ int64) (bool, error) {
			select {
			case out <- st:
				return true, nil
			case <-ctx.Done():
				return false, nil
			}
		})
		off = next
		switch {
		case err == nil:
			retry.Reset()
			continue
		case ctx.Err() != nil:
			return
		case errors.Is(err, kafkago.UnknownTopicOrPartition):
			select {
			case gone <- topic:
			case <-ctx.Done():
			}
			return
		case errors.Is(err, kafkago.OffsetOutOfRange):
			// Removed by retention, or the topic was created again:
			// go on from what it holds now.
			if offs, oerr := r.offsets(ctx, topic, []int{p}, kafkago.FirstOffsetOf); oerr == nil {
				off = offs[p]
				continue
			}
		}
		if !retry.Wait(ctx) {
			return
		}
	}
}
