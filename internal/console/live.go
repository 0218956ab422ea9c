package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/hirebridge/hirebridge/internal/browse"
	"github.com/hirebridge/hirebridge/schema/events"
	"github.com/hirebridge/hirebridge/sinks"
)

// keepAlive is how often an idle live feed sends a comment: proxies and
// browsers keep a connection that carries something. A variable for the
// tests.
var keepAlive = 15 * time.Second

// liveItem is a new event or dead letter on the live feed: a list's item,
// never a body.
type liveItem struct {
	browse.EventItem
	DeadLetter bool   `json:"dead_letter"`
	Reason     string `json:"reason,omitempty"`
}

func (c *Console) liveItemOf(st sinks.Stored) liveItem {
	it := liveItem{EventItem: browse.EventItemOf(st)}
	if st.Topic == c.dlq() {
		it.DeadLetter = true
		it.ID = browse.DeadLetterID(st)
		it.Reason = st.Header(events.HeaderReason)
	}
	return it
}

// liveFeed is GET /api/v1/events/live: Server-Sent Events of what the
// broker stores from now on, through a follower of its own; it ends when
// the client goes, the follower fails, or the service stops.
func (c *Console) liveFeed(w http.ResponseWriter, r *http.Request) {
	if c.done.Err() != nil {
		writeError(w, http.StatusServiceUnavailable, codeShutdown, "the service is stopping")
		return
	}
	select {
	case c.live <- struct{}{}:
		defer func() { <-c.live }()
	default:
		writeError(w, http.StatusServiceUnavailable, codeOverloaded, fmt.Sprintf("%d live feeds are open, the most this service serves at once", maxLive))
		return
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(c.done, cancel)()

	f, err := c.cfg.Follower(ctx)
	if err != nil {
		writeBrokerError(w, "following the broker", err)
		return
	}
	defer f.Close()
	msgs := make(chan sinks.Stored, 64)
	started := make(chan struct{})
	ended := make(chan error, 1)
	go func() {
		ended <- f.Follow(ctx, c.all(), false, func() { close(started) }, func(st sinks.Stored) error {
			st.Body = c.keepBodyOf(st)
			select {
			case msgs <- st:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	// The goroutine ends before the follower closes.
	running := true
	defer func() {
		cancel()
		if running {
			<-ended
		}
	}()
	timer := time.NewTimer(brokerTimeout)
	defer timer.Stop()
	select {
	case <-started:
	case err := <-ended:
		running = false
		if err == nil {
			err = errors.New("the follower ended before it started")
		}
		writeBrokerError(w, "following the broker", err)
		return
	case <-timer.C:
		writeBrokerError(w, "following the broker", context.DeadlineExceeded)
		return
	case <-ctx.Done():
		return
	}

	// The admin server's write timeout would cut the feed off.
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprint(w, ": live\n\n"); err != nil || rc.Flush() != nil {
		return
	}
	c.cfg.Log.Debug().Str("component", "console").Msg("live feed opened")
	defer c.cfg.Log.Debug().Str("component", "console").Msg("live feed closed")
	tick := time.NewTicker(keepAlive)
	defer tick.Stop()
	for {
		var out []byte
		select {
		case st := <-msgs:
			data, _ := json.Marshal(c.liveItemOf(st))
			out = fmt.Appendf(nil, "event: event\ndata: %s\n\n", data)
		case <-tick.C:
			out = []byte(": keep-alive\n\n")
		case err := <-ended:
			running = false
			if err != nil && ctx.Err() == nil {
				data, _ := json.Marshal(errorBody{Error: codeUnavailable, Detail: "following the broker: " + err.Error()})
				_, _ = fmt.Fprintf(w, "event: error\ndata: %s\n\n", data)
				_ = rc.Flush()
			}
			return
		case <-ctx.Done():
			return
		}
		if _, err := w.Write(out); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

// keepBodyOf keeps of a body only what the item needs: a dead letter
// without its id in a header needs its body for events.DeadLetterID.
func (c *Console) keepBodyOf(st sinks.Stored) []byte {
	if st.Topic == c.dlq() && st.ID == "" {
		return st.Body
	}
	return nil
}
