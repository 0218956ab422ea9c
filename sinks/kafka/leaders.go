package kafka

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"

	kafkago "github.com/segmentio/kafka-go"
	"golang.org/x/sync/singleflight"
)

// kafka-go's writer sends each record to the leader its metadata cache
// names, and refreshes that cache only every 0 to 6 seconds
// (Transport.MetadataTTL; transport.go, connPool.discover), never because a
// broker said it no longer leads: after a leader change, every write to the
// moved partitions fails NOT_LEADER_OR_FOLLOWER until the next refresh,
// and each is answered 503 (measured: up to 5.4 s without a success for a
// sender, TestLeaderChangesUnderLoadLoseNothing). The sink asks for a
// refresh as soon as a write finds the leader moved or gone, before
// writing again.
//
// kafka-go has no call for that. Its transport refreshes the cache after
// any CreateTopics answer, waiting for one round of metadata when the
// request named no topic to wait for (transport.go, connPool.roundTrip and
// refreshMetadata): an empty CreateTopics is that call. Naming no topic,
// it creates nothing and no topic's ACL is checked; the broker answers
// with an empty list.

const (
	// leaderRefreshGap is the least time between two refreshes: a broker
	// that keeps saying it does not lead (an election in progress) must
	// not turn every failed write into a metadata request.
	leaderRefreshGap = 250 * time.Millisecond
	// leaderRefreshWait bounds one refresh: kafka-go's metadata request
	// may have gone to a broker that does not answer (its own deadline is
	// MetadataTTL, 6 s), and the writes waiting on the refresh then write
	// again with what the cache has.
	leaderRefreshWait = time.Second
)

// leaders refreshes kafka-go's metadata cache on demand, one refresh at a
// time for all the writes that need it.
type leaders struct {
	client *kafkago.Client

	refreshes singleflight.Group

	mu   sync.Mutex
	last time.Time
}

// staleLeader tells whether a write that stored nothing went to a broker
// that does not lead the partition (any more), or could not reach it: the
// client's metadata may name the wrong leader.
func staleLeader(cause error) bool {
	if errors.Is(cause, kafkago.NotLeaderForPartition) || errors.Is(cause, kafkago.LeaderNotAvailable) {
		return true
	}
	var op *net.OpError
	return errors.As(cause, &op) && op.Op == "dial"
}

// refresh makes kafka-go read the cluster's metadata now, or joins the
// refresh in progress, and returns true once it ended (read, or given up
// after leaderRefreshWait): the caller writes again at once. It returns
// false, and the caller waits before writing again, when the last refresh
// ended less than leaderRefreshGap ago or ctx ends first.
func (l *leaders) refresh(ctx context.Context) bool {
	l.mu.Lock()
	recent := time.Since(l.last) < leaderRefreshGap
	l.mu.Unlock()
	if recent {
		return false
	}
	done := l.refreshes.DoChan("", func() (any, error) {
		// The answer does not matter: whatever the broker said,
		// kafka-go refreshed its cache (or could not reach a broker,
		// and the write after this says so).
		rctx, cancel := context.WithTimeout(ctx, leaderRefreshWait)
		defer cancel()
		_, _ = l.client.CreateTopics(rctx, &kafkago.CreateTopicsRequest{})
		l.mu.Lock()
		l.last = time.Now()
		l.mu.Unlock()
		return nil, nil
	})
	select {
	case <-done:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}
